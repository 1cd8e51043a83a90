"""The console masks personal data in list views and for anyone but the handler."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.integration.console.conftest import API_TOKEN, login

SECRET_TEXT = "收货人：王芳，电话13800138000，地址上海市浦东新区世纪大道100号"
MASKED_TEXT = "收货人：王*，电话138****8000，地址上海市浦东新区****"
SENDER = "web-shopper-0042"


async def _queue(client) -> int:
    response = await client.post(
        "/internal/handoffs",
        json={
            "conversation_id": SENDER,
            "channel": "web",
            "reason": "shopper_request",
            "summary": {"last_message": SECRET_TEXT, "slots": {"phone": "13800138000"}},
        },
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert response.status == 201
    return (await response.json())["handoff_id"]


@pytest.fixture
def transcript(fake_rasa):
    fake_rasa.events[SENDER] = [
        {"event": "user", "text": SECRET_TEXT, "timestamp": 1.0},
        {"event": "bot", "text": "身份证310101199001011234已记录", "timestamp": 2},
    ]


@pytest.mark.parametrize("path", ["/queue", "/api/queue"])
async def test_queue_shows_the_last_message_masked(console, path) -> None:
    await login(console)
    await _queue(console)
    response = await console.get(path)
    if response.content_type == "application/json":
        body = json.dumps(await response.json(), ensure_ascii=False)
    else:
        body = await response.text()
    assert "13800138000" not in body and "王芳" not in body
    assert "138****8000" in body and "上海市浦东新区****" in body


async def test_queue_stream_is_masked(console) -> None:
    await login(console)
    await _queue(console)
    response = await console.get("/api/queue/stream")
    seen = await asyncio.wait_for(response.content.readany(), timeout=5)
    response.close()
    assert b"138****8000" in seen and b"13800138000" not in seen


async def test_the_handling_agent_sees_the_full_conversation(
    console, transcript
) -> None:
    csrf = await login(console)
    handoff_id = await _queue(console)
    await console.post(
        f"/handoffs/{handoff_id}/claim",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    page = await (await console.get(f"/conversations/{handoff_id}")).text()
    assert SECRET_TEXT in page
    assert "310101199001011234" in page


async def test_other_agents_see_the_conversation_masked(console, transcript) -> None:
    csrf = await login(console)
    handoff_id = await _queue(console)
    await console.post(
        f"/handoffs/{handoff_id}/claim",
        data={"csrf_token": csrf},
        allow_redirects=False,
    )
    await console.post("/logout", data={"csrf_token": csrf}, allow_redirects=False)
    await login(console, "bob")
    page = await (await console.get(f"/conversations/{handoff_id}")).text()
    assert "13800138000" not in page and "310101199001011234" not in page
    assert MASKED_TEXT in page
    assert "3101**********1234" in page


async def test_a_waiting_conversation_is_masked_before_claiming(
    console, transcript
) -> None:
    await login(console)
    handoff_id = await _queue(console)
    page = await (await console.get(f"/conversations/{handoff_id}")).text()
    assert "13800138000" not in page and MASKED_TEXT in page
    response = await console.get(f"/api/handoffs/{handoff_id}/stream?from=0")
    seen = b""
    while "已记录".encode() not in seen:
        seen += await asyncio.wait_for(response.content.readany(), timeout=5)
    response.close()
    assert b"310101199001011234" not in seen
