"""The Rasa custom channel ``wechat``: the only module bridging WeChat, Rasa and Sanic.

Register it in ``credentials.yml`` as
``bot.rasa_server.channels.wechat.WeChatInput:``;
its server URL is then ``/webhooks/wechat/webhook``. Settings come from the
environment (``WECHAT_TOKEN`` …), optionally overridden by keys under the
channel's entry; without ``WECHAT_TOKEN`` the channel stays off (404).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    OutputChannel,
    UserMessage,
)
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.platform.conversation_ids import WECHAT, conversation_id, identity_of
from bot.platform.media_store import MediaStore, media_store_from_env
from bot.platform.settings import SettingError
from bot.wechat.client import WeChatApiClient
from bot.wechat.config import WeChatSettings
from bot.wechat.dedup import StateStore, create_store
from bot.wechat.errors import (
    BodyTooLarge,
    ConfigurationError,
    RequestRejected,
)
from bot.wechat.replies import ERROR_REPLY, SUCCESS, numbered_menu
from bot.wechat.service import ReplyService
from bot.wechat.webhook import OpenedCallback, WebhookProtocol

logger = logging.getLogger(__name__)

CHANNEL_NAME = WECHAT

#: Credential keys that are not ``WECHAT_<KEY>``.
_PLAIN_KEYS = {"redis_url": "REDIS_URL"}


class WeChatCollector(CollectingOutputChannel):
    """Collects the bot's messages for one turn, one entry per bot message.

    Rasa's collector splits texts at blank lines; a WeChat message keeps them.
    """

    @classmethod
    def name(cls) -> str:
        """The channel's name."""
        return CHANNEL_NAME

    async def send_text_message(
        self, recipient_id: str, text: str, **kwargs: Any
    ) -> None:
        """Keep the text as one message."""
        await self._persist_message(self._message(recipient_id, text=text))


class WeChatOutput(OutputChannel):
    """Messages Rasa sends outside a turn (reminders, ``trigger_intent``) via the API.

    Args:
        send_texts: Sends texts to an openid in order (``ReplyService.send_texts``).
    """

    def __init__(self, send_texts: Callable[[str, Sequence[str]], Awaitable[int]]):
        self._send_texts = send_texts

    @classmethod
    def name(cls) -> str:
        """The channel's name."""
        return CHANNEL_NAME

    async def send_text_message(
        self, recipient_id: str, text: str, **kwargs: Any
    ) -> None:
        """Send a text as a customer-service message."""
        await self._send_texts(_openid(recipient_id), [text])

    async def send_text_with_buttons(
        self,
        recipient_id: str,
        text: str,
        buttons: list[dict[str, Any]],
        **kwargs: Any,
    ) -> None:
        """Send the text with its buttons as a numbered menu."""
        await self._send_texts(
            _openid(recipient_id), [numbered_menu(text, buttons).text]
        )

    async def send_image_url(
        self, recipient_id: str, image: str, **kwargs: Any
    ) -> None:
        """Send the image's address (a picture needs a media upload)."""
        await self._send_texts(_openid(recipient_id), [f"图片：{image}"])


def settings_from(
    credentials: Mapping[str, Any] | None, environ: Mapping[str, str]
) -> WeChatSettings | None:
    """Settings from the environment, overridden by non-empty credential keys.

    Keys under the channel's entry may be written ``token`` or ``WECHAT_TOKEN``.

    Args:
        credentials: The channel's entry in ``credentials.yml`` (may be ``None``).
        environ: The environment.

    Returns:
        The settings, or ``None`` when no token is configured (channel off).
    """
    values: dict[str, Any] = dict(environ)
    for key, value in (credentials or {}).items():
        if value is None or str(value).strip() == "":
            continue
        name = _PLAIN_KEYS.get(key.lower(), key.upper())
        if not name.startswith("WECHAT_") and name != "REDIS_URL":
            name = f"WECHAT_{name}"
        values[name] = value
    return WeChatSettings.from_env(values)


class WeChatInput(InputChannel):
    """WeChat Official Account server URL as a Rasa input channel.

    Args:
        settings: The channel settings, or ``None`` to keep the channel off.
        store: Dedup store to use instead of the one the settings describe.
        client: API client to use instead of one built from the settings.
        media: Where shoppers' pictures are kept (default: ``MEDIA_DIR``).
    """

    def __init__(
        self,
        settings: WeChatSettings | None,
        *,
        store: StateStore | None = None,
        client: WeChatApiClient | None = None,
        media: MediaStore | None = None,
    ) -> None:
        self.settings = settings
        self._store = store
        self._client = client
        self._media = media
        self._service: ReplyService | None = None

    @classmethod
    def name(cls) -> str:
        """The channel's name, which makes its URL ``/webhooks/wechat/…``."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WeChatInput:
        """Build the channel from ``credentials.yml`` and the environment.

        Raises:
            ConfigurationError: A setting is present but invalid.
        """
        settings = settings_from(credentials, os.environ)
        try:
            media = media_store_from_env(os.environ)
        except SettingError as error:
            raise ConfigurationError(str(error)) from error
        if settings is None:
            logger.info("WeChat channel off: WECHAT_TOKEN is not set")
        else:
            mode = "safe/compatible (AES)" if settings.aes_key else "plaintext"
            logger.info("WeChat channel on, %s mode", mode)
            if not settings.can_send:
                logger.warning(
                    "WECHAT_APP_ID/WECHAT_APP_SECRET not set: answers slower than "
                    "%.1fs or longer than one passive reply cannot be delivered",
                    settings.reply_budget,
                )
        return cls(settings, media=media)

    @property
    def client(self) -> WeChatApiClient | None:
        """The customer-service API client (``None`` without AppID/secret)."""
        if self._client is None and self.settings and self.settings.can_send:
            self._client = WeChatApiClient(
                self.settings.app_id,
                self.settings.app_secret,
                self.settings.api_base_url,
                timeout=self.settings.api_timeout,
            )
        return self._client

    async def send_agent_message(self, openid: str, text: str) -> None:
        """Send a human agent's text to a shopper (for the agent console).

        Args:
            openid: The shopper.
            text: The agent's message.

        Raises:
            ConfigurationError: The channel has no AppID/secret.
            CustomerServiceWindowClosed: 45015, the shopper's 48 hours are over.
            CustomerServiceQuotaExceeded: 45047.
            WeChatApiError: Other platform errors.
            WeChatTransportError: The platform could not be reached.
        """
        client = self.client
        if client is None:
            raise ConfigurationError("WECHAT_APP_ID/WECHAT_APP_SECRET are not set")
        await client.send_text(openid, text)

    def get_output_channel(self) -> OutputChannel | None:
        """Rasa's output channel for messages outside a turn."""
        if self._service is None:
            return None
        return WeChatOutput(self._service.send_texts)

    def _build_service(
        self,
        settings: WeChatSettings,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> ReplyService:
        async def ask_bot(openid: str, text: str) -> list[dict[str, Any]]:
            collector = WeChatCollector()
            await on_new_message(
                UserMessage(
                    text,
                    collector,
                    conversation_id(WECHAT, openid),
                    input_channel=CHANNEL_NAME,
                )
            )
            return list(collector.messages)

        if self._store is None:
            self._store = create_store(settings.redis_url)
        if self._media is None:
            self._media = media_store_from_env(os.environ)
        return ReplyService(
            ask_bot,
            self._store,
            self.client,
            settings.menu,
            reply_budget=settings.reply_budget,
            state_ttl=settings.timestamp_window * 2,
            passive_limit=settings.passive_limit,
            media=self._media,
            max_turns=settings.max_turns,
        )

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The Sanic routes: ``GET /`` (health) and ``GET``/``POST /webhook``."""
        webhook = Blueprint("wechat_webhook", __name__)
        settings = self.settings

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if settings else "off"})

        if settings is None:

            @webhook.route("/webhook", methods=["GET", "POST"])
            async def off(_: Request) -> HTTPResponse:
                return response.text("WeChat channel is not configured", status=404)

            return webhook

        protocol = WebhookProtocol(settings)
        service = self._service = self._build_service(settings, on_new_message)

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            try:
                echostr = protocol.verify_echo(_query(request))
            except RequestRejected as error:
                logger.warning("WeChat verification refused: %s", error.reason)
                return response.text("forbidden", status=403)
            return response.text(echostr)

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = await _read_body(request, settings.max_body)
                callback = protocol.open(_query(request), body)
            except RequestRejected as error:
                logger.warning("WeChat callback refused: %s", error.reason)
                return response.text("refused", status=error.status)
            try:
                text = await service.handle(callback.message)
            except Exception:
                logger.exception(
                    "WeChat message from %s failed", callback.message.openid
                )
                text = ERROR_REPLY
            return _reply(protocol, callback, text)

        @webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await service.close()
            if self._client is not None:
                await self._client.close()
            if self._store is not None:
                await self._store.close()

        return webhook


def _openid(recipient_id: str) -> str:
    """The openid of a conversation id ``wechat:<openid>``."""
    return identity_of(recipient_id).local_id


def _query(request: Request) -> dict[str, str]:
    return {key: str(request.args.get(key, "")) for key in request.args}


async def _read_body(request: Request, limit: int) -> bytes:
    """Read at most ``limit`` bytes, refusing larger bodies before reading them."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"declared body of {declared} bytes")
    chunks: list[bytes] = []
    size = 0
    if request.stream is None:
        return bytes(request.body or b"")
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            break
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(f"body over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _reply(
    protocol: WebhookProtocol, callback: OpenedCallback, text: str | None
) -> HTTPResponse:
    body = protocol.seal(callback, text)
    if body == SUCCESS:
        return response.text(SUCCESS)
    return response.text(body, content_type="application/xml; charset=utf-8")
