"""The REST and web chat channels as Sanic serves them: who gets in, whose conversation.

Each test serves the channel's real blueprint on a free port and records what
Rasa's ``on_new_message`` would receive.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from bot.rasa_server.channels.doors import DoorPolicy, ScopedRestInput, WebChatInput
from tests.integration.channels.conftest import serve, shutdown


class Recorder:
    """Rasa's ``on_new_message`` stand-in: records, answers once."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def __call__(self, message: Any) -> None:
        self.messages.append(message)
        await message.output_channel.send_text_message(message.sender_id, "好的")


@pytest.fixture
async def served(monkeypatch):
    servers: list[Any] = []

    async def start(channel: ScopedRestInput, **env: str) -> tuple[str, Recorder]:
        for key in ("REST_CHANNEL_TOKEN", "XIAOKE_PROFILE", "RASA_TOKEN"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        recorder = Recorder()
        base, server = await serve(channel, recorder)
        servers.append(server)
        return f"{base}/webhooks/{channel.name()}/webhook", recorder

    yield start
    for server in servers:
        await shutdown(server)


async def post(url: str, body: Any, token: str | None = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    async with aiohttp.ClientSession() as session:
        async with session.post(url, json=body, headers=headers) as response:
            return response.status, await response.json(content_type=None)


async def test_rest_names_the_conversation_itself_whatever_the_body_says(served):
    url, recorder = await served(ScopedRestInput())
    status, answer = await post(
        url,
        {
            "sender": "demo-openid-001",
            "message": "我有多少积分",
            "input_channel": "wechat",
            "metadata": {"customer_id": "C100001"},
        },
    )
    assert status == 200 and answer[0]["text"] == "好的"
    (message,) = recorder.messages
    assert message.sender_id == "rest:demo-openid-001"
    assert message.input_channel == "rest"
    assert not message.metadata


@pytest.mark.parametrize(
    "body",
    [
        {"sender": "wechat:demo-openid-001", "message": "你好"},
        {"sender": "", "message": "你好"},
        {"sender": "x" * 65, "message": "你好"},
        {"sender": 12345, "message": "你好"},
        {"message": "你好"},
        {"sender": "abc", "message": None},
        ["not", "an", "object"],
    ],
)
async def test_rest_refuses_bad_bodies_before_rasa_sees_them(served, body):
    url, recorder = await served(ScopedRestInput())
    status, answer = await post(url, body)
    assert status == 400
    assert answer["error"]["code"].startswith("invalid_")
    assert recorder.messages == []


async def test_rest_is_off_in_the_production_profile_without_a_token(served):
    url, recorder = await served(ScopedRestInput(), XIAOKE_PROFILE="production")
    status, _ = await post(url, {"sender": "abc", "message": "你好"})
    assert status == 404
    assert recorder.messages == []


async def test_rest_with_a_token_needs_it(served):
    url, recorder = await served(
        ScopedRestInput(), XIAOKE_PROFILE="production", REST_CHANNEL_TOKEN="s3cret-tok"
    )
    body = {"sender": "abc", "message": "你好"}
    assert (await post(url, body))[0] == 401
    assert (await post(url, body, "wrong"))[0] == 401
    assert recorder.messages == []
    assert (await post(url, body, "s3cret-tok"))[0] == 200
    assert [m.sender_id for m in recorder.messages] == ["rest:abc"]


async def test_the_web_chat_channel_takes_only_the_rasa_token(served):
    url, recorder = await served(WebChatInput(), RASA_TOKEN="rasa-server-token")
    body = {"sender": "Zx8_k2-abc", "message": "你好"}
    assert (await post(url, body))[0] == 401
    assert (await post(url, body, "guess"))[0] == 401
    assert (await post(url, body, "rasa-server-token"))[0] == 200
    (message,) = recorder.messages
    assert (message.sender_id, message.input_channel) == ("web:Zx8_k2-abc", "web")


async def test_the_web_chat_channel_is_off_without_a_rasa_token(served):
    url, recorder = await served(WebChatInput())
    assert (await post(url, {"sender": "abc", "message": "你好"}, ""))[0] == 404
    assert recorder.messages == []


@pytest.mark.parametrize(
    ("address", "let_in"),
    [("127.0.0.1", True), ("::1", True), ("203.0.113.7", False), ("", False)],
)
def test_without_a_token_only_loopback_clients_get_in(address, let_in):
    request = SimpleNamespace(ip=address, headers={})
    refused = DoorPolicy(loopback_only=True).refusal(request)  # type: ignore[arg-type]
    assert (refused is None) == let_in
    if refused is not None:
        assert refused.status == 403
