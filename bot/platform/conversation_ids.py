"""Conversation ids that name their channel: ``wechat:<openid>``, ``web:<id>`` ….

Rasa keys a conversation by its sender id alone, whatever channel a message came
through. Each input channel therefore builds the id itself from the identity the
channel vouches for (a signed WeChat push, the web chat's server-issued session),
and a client can never choose the prefix: a REST sender ``wechat:o…`` becomes the
conversation ``rest:wechat:o…``, which is not the WeChat shopper's. The channel
part is also the channel the CRM binds the shopper's identity to.

WeChat customer service (微信客服) names the customer service account too:
``wecom:<open_kfid>:<external_userid>``. The same shopper talking to two kf
accounts of the shop has two conversations, but one identity for the CRM (the
``external_userid``, which is the same for every kf account of the company).
"""

from __future__ import annotations

from dataclasses import dataclass

SEPARATOR = ":"
WECHAT = "wechat"
WEB = "web"
REST = "rest"
WECOM = "wecom"
#: Channels whose conversation ids this project issues.
CHANNELS = frozenset({WECHAT, WEB, REST, WECOM})
#: Channels whose ids also name the account the shopper talks to.
ACCOUNT_CHANNELS = frozenset({WECOM})
#: What an id without a known channel prefix (one stored before ids named their
#: channel) is bound under: nothing is bound there, so such a conversation is
#: never taken for a shopper's account.
LEGACY = "legacy"


@dataclass(frozen=True)
class ChannelIdentity:
    """Who a conversation belongs to, as its channel knows them.

    Attributes:
        channel: ``wechat``, ``web``, ``rest`` (or ``legacy`` for old ids).
        local_id: The channel's own id: the WeChat openid, the web chat's id,
            the WeCom ``external_userid`` …
        account: The account talked to, for channels that have several
            (the WeCom ``open_kfid``); ``None`` elsewhere.
    """

    channel: str
    local_id: str
    account: str | None = None

    @property
    def conversation_id(self) -> str:
        """The Rasa conversation id, e.g. ``wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M``."""
        if self.account is not None:
            return SEPARATOR.join((self.channel, self.account, self.local_id))
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
    if channel in ACCOUNT_CHANNELS:
        raise ValueError(f"{channel} ids name an account: use account_conversation_id")
    if not local_id:
        raise ValueError("empty id")
    return ChannelIdentity(channel, local_id).conversation_id


def account_conversation_id(channel: str, account: str, local_id: str) -> str:
    """The conversation id of ``local_id`` talking to ``account`` on ``channel``.

    Args:
        channel: One of :data:`ACCOUNT_CHANNELS` (``wecom``).
        account: The account (the WeCom ``open_kfid``).
        local_id: The shopper (the WeCom ``external_userid``).

    Returns:
        ``"<channel>:<account>:<local_id>"``.

    Raises:
        ValueError: Another channel, an empty part, or a part holding ``:``.
    """
    if channel not in ACCOUNT_CHANNELS:
        raise ValueError(f"{channel!r} ids name no account")
    for part in (account, local_id):
        if not part or SEPARATOR in part:
            raise ValueError(f"invalid id part {part!r}")
    return ChannelIdentity(channel, local_id, account).conversation_id


def identity_of(conversation: str) -> ChannelIdentity:
    """The channel and channel-local id a conversation id names.

    Args:
        conversation: A Rasa conversation (sender) id.

    Returns:
        The identity; an id without a known prefix is ``legacy``.
    """
    channel, separator, local_id = conversation.partition(SEPARATOR)
    if separator and channel in ACCOUNT_CHANNELS:
        account, inner, shopper = local_id.partition(SEPARATOR)
        if inner and account and shopper and SEPARATOR not in shopper:
            return ChannelIdentity(channel, shopper, account)
        return ChannelIdentity(LEGACY, conversation)
    if separator and channel in CHANNELS and local_id:
        return ChannelIdentity(channel, local_id)
    return ChannelIdentity(LEGACY, conversation)
