"""Console HTTP API: login, CSRF, internal token, claiming, replying, hand-back."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from bot.backends.common.db import create_engine
from bot.console.repository import ConsoleRepository, Handoff
from bot.console.service import HANDED_BACK
from bot.console.users import add_user
from tests.integration.console.conftest import (
    API_TOKEN,
    console_settings,
    csrf_of,
    login,
    queue_handoff,
    start_console,
)


async def stored(database_url: str, handoff_id: int) -> Handoff:
    """The queue entry as the console's database holds it."""
    engine = create_engine(database_url)
    try:
        handoff = await ConsoleRepository(engine).get(handoff_id)
    finally:
        await engine.dispose()
    assert handoff is not None
    return handoff


async def test_pages_and_apis_need_a_login(console):
    page = await console.get("/queue", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"] == "/login"
    api = await console.get("/api/queue")
    assert api.status == 401
    assert (await api.json())["error"]["code"] == "login"
    conversation = await console.get("/conversations/1", allow_redirects=False)
    assert conversation.status == 303


async def test_the_shopper_chat_and_static_files_need_no_login(console):
    assert (await console.get("/chat")).status == 200
    assert (await console.get("/static/chat.js")).status == 200


async def test_wrong_password_is_refused(console):
    token = await csrf_of(console)
    response = await console.post(
        "/login",
        data={"username": "alice", "password": "wrong-password", "csrf_token": token},
    )
    assert response.status == 401
    assert "用户名或密码不正确" in await response.text()
    assert (await console.get("/api/queue")).status == 401


async def test_password_guessing_is_slowed_down(console):
    token = await csrf_of(console)

    async def attempt(password: str):
        return await console.post(
            "/login",
            data={"username": "alice", "password": password, "csrf_token": token},
            allow_redirects=False,
        )

    for _ in range(5):
        assert (await attempt("guess")).status == 401
    blocked = await attempt("alice-password")  # right, but too late
    assert blocked.status == 429
    assert "登录失败次数过多" in await blocked.text()
    assert int(blocked.headers["Retry-After"]) > 0
    assert (await console.get("/api/queue")).status == 401


async def test_login_without_csrf_token_is_refused(console):
    await console.get("/login")
    response = await console.post(
        "/login", data={"username": "alice", "password": "alice-password"}
    )
    assert response.status == 403
    # Right password, but no session came of it.
    assert (await console.get("/api/queue")).status == 401
    page = await console.get("/queue", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"] == "/login"


async def test_post_without_csrf_token_is_refused_when_logged_in(
    console, sqlite_url, fake_rasa
):
    token = await login(console)
    ticket = await queue_handoff(console)
    before = await stored(sqlite_url, ticket["handoff_id"])
    claim = f"/handoffs/{ticket['handoff_id']}/claim"
    response = await console.post(claim)
    assert response.status == 403
    wrong = await console.post(claim, headers={"X-CSRF-Token": "not-the-token"})
    assert wrong.status == 403
    forged = await console.post(claim, data={"csrf_token": token[::-1]})
    assert forged.status == 403
    # Nothing was claimed: the entry is unchanged and still waits in the queue.
    assert await stored(sqlite_url, ticket["handoff_id"]) == before
    assert before.status == "waiting" and before.agent is None
    queue = await (await console.get("/api/queue")).json()
    assert [item["id"] for item in queue["waiting"]] == [ticket["handoff_id"]]
    assert queue["mine"] == []
    assert fake_rasa.events["web-shopper-0001"] == []


async def test_logout_ends_the_session(console):
    token = await login(console)
    response = await console.post(
        "/logout", data={"csrf_token": token}, allow_redirects=False
    )
    assert response.status == 303
    assert (await console.get("/api/queue")).status == 401


async def test_internal_api_needs_the_bearer_token(console):
    body = {"conversation_id": "web-x", "channel": "web", "summary": {}}
    assert (await console.post("/internal/handoffs", json=body)).status == 401
    wrong = await console.post(
        "/internal/handoffs", json=body, headers={"Authorization": "Bearer nope"}
    )
    assert wrong.status == 401
    await login(console)
    queue = await (await console.get("/api/queue")).json()
    assert queue == {"waiting": [], "mine": []}  # nothing was queued


async def test_queue_positions_and_a_repeated_request_keeps_its_place(console):
    first = await queue_handoff(console, "web-shopper-0001")
    second = await queue_handoff(console, "web-shopper-0002")
    again = await queue_handoff(console, "web-shopper-0001")
    assert (first["position"], second["position"]) == (0, 1)
    assert again["handoff_id"] == first["handoff_id"] and again["position"] == 0
    assert second["estimated_wait_minutes"] > first["estimated_wait_minutes"]
    assert first["service_open"] is True
    await login(console)
    queue = await (await console.get("/api/queue")).json()
    assert [item["conversation_id"] for item in queue["waiting"]] == [
        "web-shopper-0001",
        "web-shopper-0002",
    ]
    assert queue["waiting"][0]["channel"] == "网页"
    assert queue["waiting"][0]["reason"] == "顾客要求转人工"


async def other_agent(console, user: str) -> tuple[aiohttp.ClientSession, str]:
    session = aiohttp.ClientSession(
        base_url=str(console.make_url("")),
        cookie_jar=aiohttp.CookieJar(unsafe=True),
    )
    page = await session.get("/login")
    token = (await page.text()).split('name="csrf_token" value="')[1].split('"')[0]
    await session.post(
        "/login",
        data={"username": user, "password": f"{user}-password", "csrf_token": token},
    )
    page = await session.get("/queue")
    token = (await page.text()).split('name="csrf_token" value="')[1].split('"')[0]
    return session, token


async def test_two_agents_cannot_claim_the_same_conversation(console, sqlite_url):
    ticket = await queue_handoff(console)
    alice_token = await login(console, "alice")
    bob, bob_token = await other_agent(console, "bob")
    try:
        url = f"/handoffs/{ticket['handoff_id']}/claim"
        json_accept = {"Accept": "application/json"}
        alice, bob_answer = await asyncio.gather(
            console.post(url, headers={**json_accept, "X-CSRF-Token": alice_token}),
            bob.post(url, headers={**json_accept, "X-CSRF-Token": bob_token}),
        )
        assert sorted([alice.status, bob_answer.status]) == [200, 409]
        winner = "alice" if alice.status == 200 else "bob"
        claimed = await stored(sqlite_url, ticket["handoff_id"])
        assert (claimed.status, claimed.agent) == ("claimed", winner)
        page = await bob.post(url, data={"csrf_token": bob_token})
        assert "已被其他客服接入" in await page.text()
        # The refused claims changed nothing: the winner keeps the conversation.
        assert await stored(sqlite_url, ticket["handoff_id"]) == claimed
    finally:
        await bob.close()


async def test_claims_race_exactly_one_wins(database_url):
    engine = create_engine(database_url)
    try:
        repository = ConsoleRepository(engine)
        await repository.create_tables()
        handoff = await repository.enqueue(
            conversation_id=f"race-{id(engine)}",
            channel="web",
            reason="shopper_request",
            summary={},
            customer_id=None,
        )
        results = await asyncio.gather(
            *(repository.claim(handoff.id, f"agent{n}") for n in range(12))
        )
        assert results.count(True) == 1
        claimed = await repository.get(handoff.id)
        assert claimed is not None and claimed.status == "claimed"
        assert claimed.agent == f"agent{results.index(True)}"
    finally:
        await engine.dispose()


async def claimed(console, conversation_id="web-shopper-0001") -> tuple[int, str]:
    ticket = await queue_handoff(console, conversation_id)
    token = await login(console)
    response = await console.post(
        f"/handoffs/{ticket['handoff_id']}/claim",
        data={"csrf_token": token},
        allow_redirects=False,
    )
    assert response.headers["Location"] == f"/conversations/{ticket['handoff_id']}"
    return ticket["handoff_id"], token


async def web_shopper(console, fake_rasa) -> tuple[aiohttp.ClientSession, str]:
    """A browser of its own that has chatted once; its conversation id."""
    session = aiohttp.ClientSession(
        base_url=str(console.make_url("")), cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    before = set(fake_rasa.events)
    response = await session.post("/chat/api/send", json={"message": "转人工"})
    assert response.status == 200, await response.text()
    (conversation,) = set(fake_rasa.events) - before
    return session, conversation


async def test_reply_reaches_the_web_shopper_and_the_transcript(console, fake_rasa):
    shopper, conversation = await web_shopper(console, fake_rasa)
    other, _ = await web_shopper(console, fake_rasa)
    try:
        handoff_id, token = await claimed(console, conversation)
        response = await console.post(
            f"/handoffs/{handoff_id}/reply",
            json={"text": "您好，我是客服小王"},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )
        assert response.status == 200, await response.text()
        assert fake_rasa.events[conversation][-1] == {
            "event": "bot",
            "text": "您好，我是客服小王",
            "metadata": {"agent": "alice"},
        }
        polled = await (await shopper.get("/chat/api/messages?after=0")).json()
        assert [m["text"] for m in polled["messages"]] == ["您好，我是客服小王"]
        later = await shopper.get(
            f"/chat/api/messages?after={polled['messages'][0]['id']}"
        )
        assert (await later.json())["messages"] == []
        # Another browser naming this conversation in the query gets nothing.
        local_id = conversation.removeprefix("web:")
        for query in (f"sender={local_id}", f"sender={conversation}"):
            forged = await other.get(f"/chat/api/messages?{query}&after=0")
            assert (await forged.json())["messages"] == []
    finally:
        await shopper.close()
        await other.close()


async def test_only_the_claiming_agent_can_reply(console, sqlite_url, fake_rasa):
    handoff_id, _ = await claimed(console)
    before = await stored(sqlite_url, handoff_id)
    bob, bob_token = await other_agent(console, "bob")
    try:
        response = await bob.post(
            f"/handoffs/{handoff_id}/reply",
            json={"text": "hi"},
            headers={"X-CSRF-Token": bob_token, "Accept": "application/json"},
        )
        assert response.status == 409
    finally:
        await bob.close()
    # Bob's text reached neither the shopper nor the transcript; alice keeps it.
    assert fake_rasa.events["web-shopper-0001"] == []
    polled = await (
        await console.get("/chat/api/messages?sender=web-shopper-0001&after=0")
    ).json()
    assert polled["messages"] == []
    assert await stored(sqlite_url, handoff_id) == before
    assert before.agent == "alice"


async def test_hand_back_resumes_the_bot_and_tells_the_shopper(console, fake_rasa):
    shopper, conversation = await web_shopper(console, fake_rasa)
    handoff_id, token = await claimed(console, conversation)
    response = await console.post(
        f"/handoffs/{handoff_id}/handback",
        data={"csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 303
    assert fake_rasa.events[conversation][1:] == [
        {"event": "resume"},
        {"event": "bot", "text": HANDED_BACK, "metadata": {"agent": "alice"}},
        {"event": "action", "name": "action_listen"},
    ]
    polled = await (await shopper.get("/chat/api/messages?after=0")).json()
    await shopper.close()
    assert [m["text"] for m in polled["messages"]] == [HANDED_BACK]
    queue = await (await console.get("/api/queue")).json()
    assert queue == {"waiting": [], "mine": []}
    again = await console.post(
        f"/handoffs/{handoff_id}/reply",
        json={"text": "还在吗"},
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert again.status == 409


async def test_wechat_reply_without_app_credentials_is_reported(console, fake_rasa):
    ticket = await queue_handoff(console, "demo-openid-001", channel="wechat")
    token = await login(console)
    await console.post(
        f"/handoffs/{ticket['handoff_id']}/claim", data={"csrf_token": token}
    )
    response = await console.post(
        f"/handoffs/{ticket['handoff_id']}/reply",
        json={"text": "您好"},
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )
    assert response.status == 502
    assert "微信" in (await response.json())["error"]["message"]
    assert fake_rasa.events["demo-openid-001"] == []


async def test_conversation_page_shows_transcript_and_summary(console, fake_rasa):
    fake_rasa.events["web-shopper-0001"] = [
        {"event": "user", "text": "我要投诉", "timestamp": 1.0},
        {"event": "bot", "text": "非常抱歉", "timestamp": 2.0},
        {"event": "pause", "timestamp": 3.0},
    ]
    handoff_id, _ = await claimed(console)
    page = await (await console.get(f"/conversations/{handoff_id}")).text()
    for text in (
        "我要投诉",
        "非常抱歉",
        "转人工，机器人暂停",
        "顾客要求转人工",
        "交还机器人",
    ):
        assert text in page
    assert "顾客尚未核实身份" in page


async def test_live_stream_sends_new_shopper_messages(console, fake_rasa):
    handoff_id, _ = await claimed(console)
    response = await console.get(f"/api/handoffs/{handoff_id}/stream?from=0")
    fake_rasa.events["web-shopper-0001"].append(
        {"event": "user", "text": "在吗？", "timestamp": 1.0}
    )
    seen = b""
    while b"\xe5\x9c\xa8\xe5\x90\x97" not in seen:  # 在吗
        seen += await asyncio.wait_for(response.content.readany(), timeout=5)
    response.close()


async def test_the_queue_survives_a_restart(sqlite_url, fake_rasa, console_factory):
    first = await console_factory(sqlite_url)
    await queue_handoff(first, "web-shopper-0001")
    await first.close()
    second = await start_console(console_settings(sqlite_url, fake_rasa))
    try:
        await login(second)
        queue = await (await second.get("/api/queue")).json()
        assert [item["conversation_id"] for item in queue["waiting"]] == [
            "web-shopper-0001"
        ]
    finally:
        await second.close()


async def test_web_chat_forwards_to_rasa_under_a_server_issued_id(console, fake_rasa):
    response = await console.post(
        "/chat/api/send", json={"sender": "web-0123456789ab", "message": "你好"}
    )
    assert await response.json() == {
        "messages": [{"text": "收到：你好", "buttons": []}]
    }
    (conversation,) = fake_rasa.events
    # The sender in the body is ignored: the id is the server's, kept in the cookie.
    assert conversation.startswith("web:")
    assert "web-0123456789ab" not in conversation
    again = await console.post("/chat/api/send", json={"message": "在吗"})
    assert again.status == 200
    assert list(fake_rasa.events) == [conversation]
    assert [e["text"] for e in fake_rasa.events[conversation]] == ["你好", "在吗"]


async def test_two_quick_sends_after_the_page_stay_in_one_conversation(
    console, fake_rasa
):
    # A shopper types a second message before the first is answered: both
    # sends leave the browser with the cookie the chat page set.
    assert (await console.get("/chat")).status == 200
    first, second = await asyncio.gather(
        console.post("/chat/api/send", json={"message": "你好"}),
        console.post("/chat/api/send", json={"message": "在吗"}),
    )
    assert (first.status, second.status) == (200, 200)
    (conversation,) = fake_rasa.events
    assert sorted(e["text"] for e in fake_rasa.events[conversation]) == ["你好", "在吗"]


async def test_web_chat_refuses_bad_sends_in_chinese(console, fake_rasa):
    for body, kwargs in (
        ({"message": ""}, {}),
        ({"message": 5}, {}),
        (None, {"data": "message=你好"}),
    ):
        response = await console.post(
            "/chat/api/send", **({"json": body} if body is not None else kwargs)
        )
        assert response.status in (400, 415)
        message = (await response.json())["error"]["message"]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in message), message
    assert fake_rasa.events == {}


async def test_web_chat_sends_are_rate_limited_per_session(sqlite_url, fake_rasa):
    await add_user(sqlite_url, "alice", "alice-password")
    client = await start_console(
        console_settings(sqlite_url, fake_rasa, chat_sends_per_minute=3)
    )
    try:
        statuses = [
            (await client.post("/chat/api/send", json={"message": f"第{n}条"})).status
            for n in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]
        (conversation,) = fake_rasa.events
        assert len(fake_rasa.events[conversation]) == 3  # nothing past the limit
        client.session.cookie_jar.clear()  # a new shopper session is not limited
        fresh = await client.post("/chat/api/send", json={"message": "你好"})
        assert fresh.status == 200
    finally:
        await client.close()


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"channel": "web", "summary": {}}',
        b'{"conversation_id": "web-x", "summary": ["not", "an", "object"]}',
    ],
)
async def test_internal_api_rejects_bad_bodies(console, body):
    response = await console.post(
        "/internal/handoffs",
        data=body,
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert response.status == 400
    await login(console)
    queue = await (await console.get("/api/queue")).json()
    assert queue == {"waiting": [], "mine": []}  # nothing was queued
