"""Cap the text a channel hands to Rasa, so one huge message cannot stall the server.

Parsing a message costs more than its length: DIETClassifier's transformer
attends from every token to every other (quadratic in the tokens), and Rasa's
RegexFeaturizer compares every token with every match of a pattern. A message
of 20,000 characters took 8–50 s of CPU, during which Rasa answered nobody. So
the text is cut to ``MAX_MESSAGE_CHARS`` (default 2,000: more than the web chat
lets a shopper type) before Rasa sees it; the cut is recorded in the user
message's metadata (``{"truncated": {"original_length": …, "kept_length": …}}``,
stored with the ``user`` event in the tracker) and the shopper is told in
Chinese that only the first part was read.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from rasa.core.channels.channel import UserMessage

from bot.platform.settings import SettingError, positive_int

logger = logging.getLogger(__name__)

#: Characters of a message Rasa reads, unless ``MAX_MESSAGE_CHARS`` says otherwise.
DEFAULT_MAX_MESSAGE_CHARS = 2000
MAX_MESSAGE_CHARS_ENV = "MAX_MESSAGE_CHARS"
#: Metadata key of a cut message.
TRUNCATED = "truncated"

_TRUNCATED_REPLY = (
    "亲，您的消息比较长，小客只读了前 {kept} 个字😊 "
    "如果后面还有要紧的内容，麻烦分成几条短一点的消息发给我。"
)


def max_message_chars(environ: Mapping[str, str] | None = None) -> int:
    """The cap from ``MAX_MESSAGE_CHARS`` (default 2,000).

    Args:
        environ: The environment (default ``os.environ``).

    Returns:
        The number of characters Rasa reads of a message; a value that is not
        a positive whole number is ignored (with a warning) for the default.
    """
    try:
        return positive_int(
            os.environ if environ is None else environ,
            MAX_MESSAGE_CHARS_ENV,
            DEFAULT_MAX_MESSAGE_CHARS,
        )
    except SettingError as error:
        logger.warning(
            "%s=%r is not a positive whole number: %d used",
            MAX_MESSAGE_CHARS_ENV,
            error.raw,
            DEFAULT_MAX_MESSAGE_CHARS,
        )
        return DEFAULT_MAX_MESSAGE_CHARS


def cap_message(message: UserMessage, limit: int) -> UserMessage:
    """``message`` with its text cut to ``limit`` characters, the cut recorded.

    Args:
        message: The message a channel received.
        limit: The most characters Rasa reads.

    Returns:
        ``message`` itself when it is short enough; otherwise a copy whose text
        is the first ``limit`` characters and whose metadata has
        ``truncated = {"original_length": n, "kept_length": k}``.
    """
    text = message.text
    if not text or len(text) <= limit:
        return message
    kept = text[:limit].rstrip()  # Rasa strips a message's text
    metadata: dict[str, Any] = dict(message.metadata or {})
    metadata[TRUNCATED] = {"original_length": len(text), "kept_length": len(kept)}
    logger.warning(
        "message of %s cut from %d to %d characters",
        message.sender_id,
        len(text),
        len(kept),
    )
    return UserMessage(
        text=kept,
        output_channel=message.output_channel,
        sender_id=message.sender_id,
        parse_data=message.parse_data,
        input_channel=message.input_channel,
        message_id=message.message_id,
        metadata=metadata,
    )


def truncation_notice(message: UserMessage) -> str | None:
    """What the shopper reads when their message was cut, else ``None``.

    Args:
        message: The message as :func:`cap_message` returned it.

    Returns:
        A Chinese sentence saying how much was read, or ``None``.
    """
    cut = (message.metadata or {}).get(TRUNCATED)
    if not isinstance(cut, dict):
        return None
    return _TRUNCATED_REPLY.format(kept=cut["kept_length"])
