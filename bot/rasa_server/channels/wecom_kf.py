"""The Rasa custom channel ``wecom`` (微信客服): bridges WeCom kf, Rasa and Sanic.

Register it in ``credentials.yml`` (through the resilience wrapper) as
``bot.rasa_server.resilience.channels.WeComKfInput:``; its callback URL is then
``/webhooks/wecom/webhook``. Settings come from the environment (``WECOM_*``,
:mod:`bot.wecom.config`); without ``WECOM_TOKEN`` the channel stays off (404).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import (
    CollectingOutputChannel,
    InputChannel,
    UserMessage,
)
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ConversationResumed
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.platform.conversation_ids import WECOM
from bot.platform.media_store import MediaStore, media_store_from_env
from bot.wechat.dedup import MemoryStateStore, RedisStateStore, StateStore
from bot.wecom.callback import open_callback
from bot.wecom.client import WeComKfClient
from bot.wecom.config import WeComSettings
from bot.wecom.crypto import CallbackCrypto
from bot.wecom.cursors import CursorStore, create_cursor_store
from bot.wecom.errors import MalformedCallback, RequestRejected
from bot.wecom.relay import AgentRelay
from bot.wecom.service import ConversationControl, KfService, refusal_json

logger = logging.getLogger(__name__)

CHANNEL_NAME = WECOM
SUCCESS = "success"


class WeComCollector(CollectingOutputChannel):
    """Collects the bot's messages for one turn, one entry per bot message."""

    @classmethod
    def name(cls) -> str:
        """The channel's name."""
        return CHANNEL_NAME

    async def send_text_message(
        self, recipient_id: str, text: str, **kwargs: Any
    ) -> None:
        """Keep the text as one message (Rasa's collector splits at blank lines)."""
        await self._persist_message(self._message(recipient_id, text=text))


class TrackerControl:
    """Rasa's pause state of a conversation, read and cleared in the tracker store.

    Args:
        agent: Gives the server's agent (``None`` before it is loaded).
    """

    def __init__(self, agent: Callable[[], Agent | None]) -> None:
        self._agent = agent

    async def is_paused(self, conversation_id: str) -> bool:
        """Whether the bot handed the conversation to a person (and is paused)."""
        agent = self._agent()
        if agent is None or agent.tracker_store is None:
            return False
        tracker = await agent.tracker_store.retrieve(conversation_id)
        return bool(tracker is not None and tracker.is_paused())

    async def resume(self, conversation_id: str) -> None:
        """Resume the bot, then ``action_listen`` (as the console does).

        The listen makes the shopper's next message a turn like any other, not a
        follow-up of ``action_handoff``.
        """
        agent = self._agent()
        if agent is None or agent.tracker_store is None:
            return
        async with agent.lock_store.lock(conversation_id):
            tracker = await agent.tracker_store.retrieve(conversation_id)
            if tracker is None or not tracker.is_paused():
                return
            tracker.update(ConversationResumed())
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
            await agent.tracker_store.save(tracker)


class WeComKfInput(InputChannel):
    """WeChat customer service (微信客服) callback URL as a Rasa input channel.

    Args:
        settings: The channel settings, or ``None`` to keep the channel off.
        store: Dedup and menu store instead of the one the settings describe.
        cursors: Cursor store instead of the one the settings describe.
        control: Pause state instead of the Rasa tracker store's.
    """

    def __init__(
        self,
        settings: WeComSettings | None,
        *,
        store: StateStore | None = None,
        cursors: CursorStore | None = None,
        control: ConversationControl | None = None,
        media: MediaStore | None = None,
    ) -> None:
        self.settings = settings
        self._store = store
        self._cursors = cursors
        self._control = control
        self._media = media
        self.service: KfService | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @classmethod
    def name(cls) -> str:
        """The channel's name, which makes its URL ``/webhooks/wecom/…``."""
        return CHANNEL_NAME

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> WeComKfInput:
        """Build the channel from the environment (credential keys override it).

        Raises:
            ConfigurationError: A setting is present but invalid.
        """
        values: dict[str, Any] = dict(os.environ)
        for key, value in (credentials or {}).items():
            if value is not None and str(value).strip():
                values[key.upper()] = value
        settings = WeComSettings.from_env(values)
        if settings is None:
            logger.info("WeCom kf channel off: WECOM_TOKEN is not set")
        else:
            logger.info(
                "WeCom kf channel on, handoff mode %s", settings.handoff_mode.value
            )
        return cls(settings)

    async def send_agent_message(self, conversation_id: str, text: str) -> str:
        """Relay a human agent's text to a kf shopper (see :mod:`bot.wecom.relay`).

        Raises:
            ValueError: The channel is off or the id is not a kf one.
            SendRefused: The platform refused (e.g. 95018).
        """
        if self.settings is None:
            raise ValueError("WeCom kf channel is off")
        relay = AgentRelay(self._new_client(self.settings))
        try:
            return await relay.send(conversation_id, text)
        finally:
            await relay.close()

    @staticmethod
    def _new_client(settings: WeComSettings) -> WeComKfClient:
        return WeComKfClient(
            settings.corp_id,
            settings.kf_secret,
            settings.api_base_url,
            timeout=settings.api_timeout,
        )

    def _build_service(
        self,
        settings: WeComSettings,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        agent: Callable[[], Agent | None],
    ) -> KfService:
        async def ask_bot(conversation_id: str, text: str) -> list[dict[str, Any]]:
            collector = WeComCollector()
            await on_new_message(
                UserMessage(
                    text, collector, conversation_id, input_channel=CHANNEL_NAME
                )
            )
            return list(collector.messages)

        if self._store is None:
            self._store = (
                RedisStateStore(settings.redis_url, "xiaoke:wecom:")
                if settings.redis_url
                else MemoryStateStore()
            )
        if self._cursors is None:
            self._cursors = create_cursor_store(settings.redis_url, settings.state_dir)
        return KfService(
            self._new_client(settings),
            self._cursors,
            self._store,
            ask_bot,
            self._control or TrackerControl(agent),
            handoff_mode=settings.handoff_mode,
            handoff_state=settings.handoff_state,
            handoff_servicer=settings.handoff_servicer,
            media=self._media or media_store_from_env(os.environ),
        )

    def _spawn(self, work: Awaitable[Any]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                logger.exception("WeCom kf pull failed")

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the pulls under way (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The Sanic routes: ``GET /`` (health) and ``GET``/``POST /webhook``."""
        webhook = Blueprint("wecom_kf_webhook", __name__)
        settings = self.settings

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if settings is None or self.service is None:
                return response.json({"status": "off" if settings is None else "ok"})
            refusals = [refusal_json(item) for item in self.service.refusals]
            return response.json({"status": "ok", "refusals": refusals[-20:]})

        if settings is None:

            @webhook.route("/webhook", methods=["GET", "POST"])
            async def off(_: Request) -> HTTPResponse:
                return response.text("WeCom kf channel is not configured", status=404)

            return webhook

        crypto = CallbackCrypto(
            settings.token,
            settings.aes_key,
            settings.corp_id,
            settings.timestamp_window,
        )
        server: dict[str, Any] = {}

        def agent() -> Agent | None:
            app = server.get("app")
            return getattr(app.ctx, "agent", None) if app is not None else None

        service = self.service = self._build_service(settings, on_new_message, agent)

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            params = _query(request)
            try:
                echo = crypto.open(
                    params.get("msg_signature", ""),
                    params.get("timestamp", ""),
                    params.get("nonce", ""),
                    params.get("echostr", ""),
                )
            except RequestRejected as error:
                logger.warning("WeCom kf verification refused: %s", error.reason)
                return response.text("forbidden", status=error.status)
            return response.text(echo)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            declared = request.headers.get("content-length", "")
            try:
                if declared.isdigit() and int(declared) > settings.max_body:
                    raise MalformedCallback(f"declared body of {declared} bytes")
                callback = open_callback(
                    crypto,
                    _query(request),
                    bytes(request.body or b""),
                    settings.max_body,
                )
            except RequestRejected as error:
                logger.warning("WeCom kf callback refused: %s", error.reason)
                return response.text("refused", status=error.status)
            if callback is not None:
                # Answer within WeCom's 5 seconds; the pull and the turns follow.
                self._spawn(service.pull(callback))
            return response.text(SUCCESS)

        @webhook.listener("before_server_start")
        async def remember(app: Any, *_: Any) -> None:
            server["app"] = app

        @webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await self.drain()
            await service.close()
            if self._store is not None:
                await self._store.close()
            if self._cursors is not None:
                await self._cursors.close()

        return webhook


def _query(request: Request) -> Mapping[str, str]:
    return {key: str(request.args.get(key, "")) for key in request.args}
