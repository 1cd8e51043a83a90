"""Conversation ids that name their channel: ``wechat:<openid>``, ``web:<id>`` ….

Rasa keys a conversation by its sender id alone, whatever channel a message came
through. Each input channel therefore builds the id itself from the identity the
channel vouches for (a signed WeChat push, the web chat's server-issued session),
and a client can never choose the prefix: a REST sender ``wechat:o…`` becomes the
conversation ``rest:wechat:o…``, which is not the WeChat shopper's. The channel
part is also the channel the CRM binds the shopper's identity to.
"""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = ":"
WECHAT = "wechat"
WEB = "web"
REST = "rest"
#: Channels whose conversation ids this project issues.
CHANNELS = frozenset({WECHAT, WEB, REST})
#: What an id without a known channel prefix (one stored before ids named their
#: channel) is bound under: nothing is bound there, so such a conversation is
#: never taken for a shopper's account.
LEGACY = "legacy"


@dataclass(frozen=True)
class ChannelIdentity:
    """Who a conversation belongs to, as its channel knows them.

    Attributes:
        channel: ``wechat``, ``web``, ``rest`` (or ``legacy`` for old ids).
        local_id: The channel's own id: the WeChat openid, the web chat's id …
    """

    channel: str
    local_id: str

    @property
    def conversation_id(self) -> str:
        """The Rasa conversation id, e.g. ``wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M``."""
        return f"{self.channel}{SEPARATOR}{self.local_id}"


def conversation_id(channel: str, local_id: str) -> str:
    """The conversation id of ``local_id`` on ``channel``.

    Args:
        channel: One of :data:`CHANNELS`.
        local_id: The channel's own id for the shopper.

    Returns:
        ``"<channel>:<local_id>"``.

    Raises:
        ValueError: An unknown channel or an empty id.
    """
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    if not local_id:
        raise ValueError("empty id")
    return ChannelIdentity(channel, local_id).conversation_id


def identity_of(conversation: str) -> ChannelIdentity:
    """The channel and channel-local id a conversation id names.

    Args:
        conversation: A Rasa conversation (sender) id.

    Returns:
        The identity; an id without a known prefix is ``legacy``.
    """
    channel, separator, local_id = conversation.partition(SEPARATOR)
    if separator and channel in CHANNELS and local_id:
        return ChannelIdentity(channel, local_id)
    return ChannelIdentity(LEGACY, conversation)
