"""Relay a human agent's text or picture to a kf shopper (console handoff mode).

The console runs in its own process; it builds an :class:`AgentRelay` from the
same ``WECOM_*`` settings as the channel and sends by conversation id::

    relay = AgentRelay.from_env(os.environ)
    if relay is not None:
        await relay.send("wecom:wk…:wm…", "您好，我是客服小王")
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.platform.conversation_ids import WECOM, identity_of
from bot.wecom.client import WeComKfClient
from bot.wecom.config import WeComSettings
from bot.wecom.errors import SendRefused

logger = logging.getLogger(__name__)


class AgentRelay:
    """Sends agents' texts and pictures through ``kf/send_msg``.

    Args:
        client: The kf API client (closed by :meth:`close`).
    """

    def __init__(self, client: WeComKfClient) -> None:
        self._client = client

    @classmethod
    def from_env(cls, environ: Mapping[str, Any]) -> AgentRelay | None:
        """A relay for the configured channel, or ``None`` when it is off.

        Raises:
            ConfigurationError: A ``WECOM_*`` setting is invalid.
        """
        settings = WeComSettings.from_env(environ)
        if settings is None:
            return None
        return cls(
            WeComKfClient(
                settings.corp_id,
                settings.kf_secret,
                settings.api_base_url,
                timeout=settings.api_timeout,
            )
        )

    @staticmethod
    def handles(conversation_id: str) -> bool:
        """Whether the conversation is a kf one (``wecom:<open_kfid>:<userid>``)."""
        return identity_of(conversation_id).channel == WECOM

    async def send(self, conversation_id: str, text: str) -> str:
        """Send ``text`` to the conversation's shopper; return the platform msgid.

        Raises:
            ValueError: Not a kf conversation id.
            SessionStateRefused: 95018, e.g. a WeCom agent holds the session.
            SendQuotaExceeded: 95001, the 5 messages are spent.
            SendRefused: Another refusal.
            WeComTransportError: The platform could not be reached.
        """
        account, customer = _kf_party(conversation_id)
        try:
            return await self._client.send_text(account, customer, text)
        except SendRefused as error:
            _log_refusal("text", conversation_id, error)
            raise

    async def send_image(self, conversation_id: str, data: bytes, filename: str) -> str:
        """Upload a picture (``media/upload``) and send it; return the msgid.

        Raises:
            ValueError: Not a kf conversation id.
            SendRefused: As for :meth:`send`.
            WeComApiError: The upload was refused (e.g. a type WeCom won't take).
            WeComTransportError: The platform could not be reached.
        """
        account, customer = _kf_party(conversation_id)
        media_id = await self._client.upload_image(data, filename)
        try:
            return await self._client.send_image(account, customer, media_id)
        except SendRefused as error:
            _log_refusal("picture", conversation_id, error)
            raise

    async def close(self) -> None:
        """Close the HTTP session."""
        await self._client.close()


def _kf_party(conversation_id: str) -> tuple[str, str]:
    """The open_kfid and the customer of a kf conversation id.

    Raises:
        ValueError: Not a kf conversation id.
    """
    identity = identity_of(conversation_id)
    if identity.channel != WECOM or identity.account is None:
        raise ValueError(f"not a WeCom kf conversation: {conversation_id!r}")
    return identity.account, identity.local_id


def _log_refusal(what: str, conversation_id: str, error: SendRefused) -> None:
    logger.warning(
        "agent %s to %s refused: %s %s",
        what,
        conversation_id,
        error.errcode,
        error.errmsg,
    )
