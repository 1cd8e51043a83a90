"""The WeChat channel in a real Sanic server, driven by the platform simulator.

The bot is a stub ``on_new_message`` (fast, scriptable); the real Rasa server
is exercised by ``tests/e2e/test_wechat_conversation.py``.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sanic import Sanic

from bot.devtools.processes import free_port
from bot.devtools.wechat_simulator import WeChatPlatform
from bot.rasa_server.channels.wechat import WeChatInput
from bot.wechat.config import WeChatSettings

TOKEN = "integration-token"
AES_KEY = "Xk0123456789abcdefghijklmnopqrstuvwxyzABCDE"
APP_ID = "wx00112233aabbccdd"
SECRET = "integration-secret"


@dataclass
class StubBot:
    """Rasa's ``on_new_message`` stand-in: echoes, with delays and scripts."""

    delay: float = 0.0
    calls: list[tuple[str, str]] = field(default_factory=list)
    script: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)

    async def __call__(self, message: Any) -> None:
        # The channel names the conversation after the openid: wechat:<openid>.
        channel, _, openid = message.sender_id.partition(":")
        assert channel == "wechat", message.sender_id
        self.calls.append((openid, message.text))
        await asyncio.sleep(self.delays.get(message.text, self.delay))
        for item in self.script.get(message.text, [{"text": f"收到：{message.text}"}]):
            if "buttons" in item:
                await message.output_channel.send_text_with_buttons(
                    message.sender_id, item["text"], item["buttons"]
                )
            else:
                await message.output_channel.send_text_message(
                    message.sender_id, item["text"]
                )


@dataclass
class Harness:
    platform: WeChatPlatform
    bot: StubBot
    channel: WeChatInput
    url: str


async def serve(channel: Any, bot: Any) -> tuple[str, Any]:
    """Serve ``channel``'s blueprint at ``/webhooks/<name>``; base URL and server."""
    # Several Sanic apps in one process: test mode lets Sanic's start-up code
    # rewriting ("touchup") run again on its pristine copies.
    Sanic.test_mode = True
    app = Sanic(f"channel_it_{uuid.uuid4().hex[:8]}", configure_logging=False)
    app.blueprint(channel.blueprint(bot), url_prefix=f"/webhooks/{channel.name()}")
    port = free_port()
    server = await app.create_server(
        host="127.0.0.1", port=port, return_asyncio_server=True, access_log=False
    )
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()
    return f"http://127.0.0.1:{port}", server


async def shutdown(server: Any) -> None:
    await server.before_stop()
    await server.close()
    await server.after_stop()


@pytest.fixture
async def make_harness() -> AsyncIterator[Any]:
    """Build a simulator + channel pair; ``await make_harness(mode=..., ...)``."""
    started: list[tuple[WeChatPlatform, Any]] = []

    async def build(
        mode: str = "plaintext",
        budget: float = 0.5,
        attempt_timeout: float = 1.5,
        bot: StubBot | None = None,
        store: Any = None,
        media: Any = None,
        **settings: Any,
    ) -> Harness:
        platform = WeChatPlatform(
            token=TOKEN,
            app_id=APP_ID,
            app_secret=SECRET,
            aes_key=None if mode == "plaintext" else AES_KEY,
            mode=mode,  # type: ignore[arg-type]
            attempt_timeout=attempt_timeout,
        )
        api_url = await platform.start()
        channel = WeChatInput(
            WeChatSettings(
                token=TOKEN,
                aes_key=None if mode == "plaintext" else AES_KEY,
                api_base_url=api_url,
                reply_budget=budget,
                **{"app_id": APP_ID, "app_secret": SECRET, **settings},
            ),
            store=store,
            media=media,
        )
        bot = bot or StubBot()
        url, server = await serve(channel, bot)
        platform.server_url = url
        started.append((platform, server))
        return Harness(platform, bot, channel, url)

    yield build
    for platform, server in started:
        await shutdown(server)
        await platform.stop()
