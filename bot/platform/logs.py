"""Mask personal data in log records, whichever handler writes them.

:func:`install_log_masking` is called by each process at startup (the console's
and the backends' ``create_app``, the action server's launcher, the Rasa
server's ``bot.rasa_server``, the analytics consumer, the retention command),
never at import time.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from bot.platform.masking import mask_text

_installed: dict[str, Any] = {}
# JSON written with ensure_ascii (Rasa's structured debug logs) hides Chinese
# text, names and addresses included, behind \uXXXX escapes.
_ESCAPES = re.compile(r"(?:\\u[0-9a-fA-F]{4})+")


def _unescape(match: re.Match[str]) -> str:
    raw = match.group()
    codes = [int(raw[i + 2 : i + 6], 16) for i in range(0, len(raw), 6)]
    if all(code < 0x80 for code in codes):
        return raw  # quotes, control characters: part of the JSON's syntax
    text = "".join(chr(code) for code in codes)
    # Joins surrogate pairs (emoji); a lone surrogate becomes U+FFFD.
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def mask_log_text(text: str) -> str:
    r"""Mask personal data in a log line, also behind JSON's ``\uXXXX`` escapes.

    Escaped non-ASCII text is written out as the characters it stands for, so
    what is left unmasked stays readable and what is masked cannot hide.
    """
    if "\\u" in text:
        text = _ESCAPES.sub(_unescape, text)
    return mask_text(text)


class MaskingFilter(logging.Filter):
    """Replace a record's message by its masked form (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask ``record`` in place; always let it through."""
        if getattr(record, "pii_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is logging's to report
            return True
        masked = mask_log_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_text:
            record.exc_text = mask_log_text(record.exc_text)
        record.pii_masked = True
        return True


def _masking_format(
    format_: Callable[[logging.Formatter, logging.LogRecord], str],
) -> Callable[[logging.Formatter, logging.LogRecord], str]:
    def format(self: logging.Formatter, record: logging.LogRecord) -> str:
        return mask_log_text(format_(self, record))

    return format


def install_log_masking() -> None:
    """Mask every log record of this process from now on (idempotent).

    Two places, because neither covers everything alone: the record factory
    masks the message as the record is made (a filter on the root logger would
    miss child loggers, one on handlers would miss handlers added later: Rasa's
    and rasa_sdk's CLIs configure logging themselves), for handlers that send
    the message on without formatting it; every ``logging.Formatter`` masks the
    finished line, which adds what the message lacks: tracebacks and fields a
    format string takes from ``extra`` (Sanic's access log puts the request
    line there).
    """
    if "factory" in _installed:
        return
    previous = logging.getLogRecordFactory()
    masking = MaskingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        masking.filter(record)
        return record

    _installed["factory"] = previous
    _installed["format"] = logging.Formatter.format
    logging.setLogRecordFactory(factory)
    masked_format = _masking_format(logging.Formatter.format)
    logging.Formatter.format = masked_format  # type: ignore[method-assign,assignment]


def uninstall_log_masking() -> None:
    """Undo :func:`install_log_masking` (for tests)."""
    previous = _installed.pop("factory", None)
    if previous is not None:
        logging.setLogRecordFactory(previous)
    original = _installed.pop("format", None)
    if original is not None:
        logging.Formatter.format = original  # type: ignore[method-assign]
