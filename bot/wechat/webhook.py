"""The server-URL protocol: verify and open callbacks, seal replies (no HTTP here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.wechat.config import WeChatSettings
from bot.wechat.crypto import (
    MessageCrypto,
    check_signature,
    check_timestamp,
    random_nonce,
)
from bot.wechat.errors import (
    BodyTooLarge,
    MalformedMessage,
    RequestRejected,
)
from bot.wechat.parse import (
    IncomingMessage,
    envelope_fields,
    parse_message,
    parse_xml_safely,
)
from bot.wechat.replies import SUCCESS, text_reply_xml


@dataclass(frozen=True)
class OpenedCallback:
    """A verified, decrypted callback and how to answer it.

    Attributes:
        message: The parsed message.
        encrypted: Whether the request came encrypted (then so must the reply).
        timestamp: The request's timestamp, reused to sign the reply.
    """

    message: IncomingMessage
    encrypted: bool
    timestamp: str


class WebhookProtocol:
    """Checks every callback before anything is processed.

    Args:
        settings: The channel settings (token, AES key, limits).
    """

    def __init__(self, settings: WeChatSettings) -> None:
        self._settings = settings
        self._crypto = (
            MessageCrypto(settings.token, settings.aes_key, settings.app_id)
            if settings.aes_key
            else None
        )

    def _check_origin(self, params: Mapping[str, str]) -> tuple[str, str]:
        timestamp = params.get("timestamp", "")
        nonce = params.get("nonce", "")
        check_timestamp(timestamp, self._settings.timestamp_window)
        check_signature(
            self._settings.token, params.get("signature", ""), timestamp, nonce
        )
        return timestamp, nonce

    def verify_echo(self, params: Mapping[str, str]) -> str:
        """Answer the server-URL verification ``GET``.

        Args:
            params: The query parameters.

        Returns:
            ``echostr``, to send back as the body.

        Raises:
            RequestRejected: Bad or missing signature, timestamp or ``echostr``.
        """
        self._check_origin(params)
        echostr = params.get("echostr", "")
        if not echostr:
            raise RequestRejected("echostr missing")
        return echostr

    def open(self, params: Mapping[str, str], body: bytes) -> OpenedCallback:
        """Verify, decrypt and parse a message ``POST``.

        Compatible mode sends plaintext fields next to ``Encrypt``; only the
        authenticated encrypted copy is used. With an AES key configured,
        plaintext requests are refused: their signature does not cover the body.

        Args:
            params: The query parameters.
            body: The raw request body.

        Returns:
            The callback.

        Raises:
            RequestRejected: Any check failed (subclass says which).
        """
        timestamp, nonce = self._check_origin(params)
        if len(body) > self._settings.max_body:
            raise BodyTooLarge(f"body of {len(body)} bytes")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise MalformedMessage("body is not UTF-8") from error
        encrypted = params.get("encrypt_type", "raw").lower() == "aes"
        if self._crypto is None:
            if encrypted:
                raise MalformedMessage("encrypted callback but no WECHAT_AES_KEY")
            return OpenedCallback(parse_message(text), False, timestamp)
        if not encrypted:
            raise RequestRejected("plaintext callback while WECHAT_AES_KEY is set")
        encrypt = envelope_fields(parse_xml_safely(text)).get("Encrypt", "")
        if not encrypt:
            raise MalformedMessage("Encrypt missing")
        inner = self._crypto.decrypt(
            encrypt, params.get("msg_signature", ""), timestamp, nonce
        )
        return OpenedCallback(parse_message(inner), True, timestamp)

    def seal(self, callback: OpenedCallback, text: str | None) -> str:
        """The HTTP body answering a callback.

        Args:
            callback: The callback being answered.
            text: A passive text reply, or ``None`` for ``success``.

        Returns:
            ``success``, a text reply XML, or its encrypted envelope.
        """
        if not text:
            return SUCCESS
        xml = text_reply_xml(text, callback.message.openid, callback.message.account)
        if callback.encrypted and self._crypto is not None:
            return self._crypto.encrypt(xml, random_nonce(), callback.timestamp)
        return xml
