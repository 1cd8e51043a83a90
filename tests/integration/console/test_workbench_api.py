"""The workbench over HTTP: presence, assignment, notes, tags, transfers, canned."""

from __future__ import annotations

import re

import aiohttp
import pytest

from bot.console.transfers import TRANSFERRED
from bot.console.users import add_user
from tests.integration.console.conftest import (
    API_TOKEN,
    console_settings,
    login,
    start_console,
)
from tests.integration.console.test_console_api import other_agent, web_shopper

JSON = {"Accept": "application/json"}


@pytest.fixture
async def floor(fake_rasa, sqlite_url):
    """A console with agents alice and bob and supervisor sue."""
    await add_user(sqlite_url, "alice", "alice-password")
    await add_user(sqlite_url, "bob", "bob-password")
    await add_user(sqlite_url, "sue", "sue-password", role="supervisor")
    client = await start_console(console_settings(sqlite_url, fake_rasa))
    yield client
    await client.close()


async def as_user(console, user: str) -> tuple[aiohttp.ClientSession, str]:
    return await other_agent(console, user)


async def post(session, url: str, token: str, **body) -> aiohttp.ClientResponse:
    return await session.post(url, json=body, headers={**JSON, "X-CSRF-Token": token})


async def form(session, url: str, token: str, **fields) -> aiohttp.ClientResponse:
    return await session.post(
        url, data={**fields, "csrf_token": token}, allow_redirects=False
    )


async def set_members(sue, token: str, team: str, members: str) -> None:
    page = await (await sue.get("/supervisor")).text()
    team_id = re.search(
        rf'data-team="{team}">\s*<input[^>]*>\s*<input type="hidden" name="team_id" '
        rf'value="(\d+)"',
        page,
    ).group(1)
    reasons = {"投诉": "complaint", "售后": "signed_not_received", "售前": ""}[team]
    response = await form(
        sue,
        "/supervisor/teams",
        token,
        team_id=team_id,
        name=team,
        reasons=reasons,
        intents="",
        members=members,
        **({"is_default": "on"} if team == "售后" else {}),
    )
    assert response.status == 303, await response.text()


async def handoff(console, conversation: str, reason: str, summary=None) -> int:
    response = await console.post(
        "/internal/handoffs",
        json={
            "conversation_id": conversation,
            "channel": "web",
            "reason": reason,
            "summary": summary or {"intents": []},
        },
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert response.status == 201, await response.text()
    return (await response.json())["handoff_id"]


async def test_presence_is_set_in_the_header_and_needs_csrf(floor):
    token = await login(floor, "alice")
    page = await (await floor.get("/queue")).text()
    # logging in puts the agent online
    assert '<option value="online" selected>在线</option>' in page
    refused = await floor.post("/api/presence", json={"status": "busy"}, headers=JSON)
    assert refused.status == 403
    busy = await post(floor, "/api/presence", token, status="busy")
    assert (await busy.json()) == {"status": "busy", "label": "忙碌"}
    page = await (await floor.get("/queue")).text()
    assert '<option value="busy" selected>忙碌</option>' in page
    wrong = await post(floor, "/api/presence", token, status="asleep")
    assert wrong.status == 400
    assert (await wrong.json())["error"]["message"] == "状态只能是在线、忙碌或离开"
    beat = await post(floor, "/api/presence/heartbeat", token, active=True)
    assert (await beat.json())["status"] == "busy"


async def test_only_supervisors_open_the_supervisor_page(floor):
    alice, alice_token = await as_user(floor, "alice")
    try:
        refused = await alice.get("/supervisor", headers=JSON)
        assert refused.status == 403
        body = await refused.json()
        assert body["error"]["message"] == "只有主管可以使用这个页面"
        sneaky = await form(alice, "/supervisor/teams", alice_token, name="黑客组")
        assert sneaky.status == 403
        token = await login(floor, "sue")
        page = await floor.get("/supervisor")
        assert page.status == 200
        text = await page.text()
        assert all(name in text for name in ("售前", "售后", "投诉"))
        assert "黑客组" not in text
        assert (await form(floor, "/supervisor/teams", token, name="")).status == 400
    finally:
        await alice.close()


async def test_a_complaint_is_assigned_to_the_online_agent_of_the_complaint_team(
    floor,
):
    sue_token = await login(floor, "sue")
    await set_members(floor, sue_token, "投诉", "bob")
    await set_members(floor, sue_token, "售后", "alice")
    alice, _ = await as_user(floor, "alice")
    bob, _ = await as_user(floor, "bob")
    try:
        complaint = await handoff(floor, "web:complaining", "complaint")
        returns = await handoff(
            floor, "web:returning", "shopper_request", {"intents": ["request_return"]}
        )
        bob_queue = await (await bob.get("/api/queue")).json()
        assert [item["id"] for item in bob_queue["mine"]] == [complaint]
        assert bob_queue["mine"][0]["team"] == "投诉"
        alice_queue = await (await alice.get("/api/queue")).json()
        assert [item["id"] for item in alice_queue["mine"]] == [returns]
        # the supervisor sees both, with their agents
        page = await (await floor.get("/supervisor")).text()
        assert re.search(rf'data-id="{complaint}">.*?class="agent">bob<', page, re.S)
    finally:
        await alice.close()
        await bob.close()


async def test_a_note_never_reaches_the_web_shopper(floor, fake_rasa):
    shopper, conversation = await web_shopper(floor, fake_rasa)
    try:
        handoff_id = await handoff(floor, conversation, "shopper_request")
        token = await login(floor, "alice")
        await form(floor, f"/handoffs/{handoff_id}/claim", token)
        bob, bob_token = await as_user(floor, "bob")
        try:
            stranger = await post(
                bob, f"/handoffs/{handoff_id}/notes", bob_token, text="x"
            )
            assert stranger.status == 403
        finally:
            await bob.close()
        note = "顾客情绪激动，已申请优惠券补偿"
        added = await post(floor, f"/handoffs/{handoff_id}/notes", token, text=note)
        assert added.status == 200, await added.text()
        empty = await post(floor, f"/handoffs/{handoff_id}/notes", token, text=" ")
        assert (await empty.json())["error"]["message"] == "备注不能为空"
        reply = await post(floor, f"/handoffs/{handoff_id}/reply", token, text="您好")
        assert reply.status == 200
        polled = await (await shopper.get("/chat/api/messages?after=0")).json()
        assert [m["text"] for m in polled["messages"]] == ["您好"]
        assert note not in str(fake_rasa.events[conversation])
        page = await (await floor.get(f"/conversations/{handoff_id}")).text()
        assert re.search(r'<li class="note">.*?' + note, page, re.S)
    finally:
        await shopper.close()


async def test_tags_are_added_filtered_on_and_removed(floor):
    first = await handoff(floor, "web:tagged-1", "shopper_request")
    second = await handoff(floor, "web:tagged-2", "shopper_request")
    token = await login(floor, "sue")  # a supervisor may tag any conversation
    added = await post(floor, f"/handoffs/{first}/tags", token, tag="退款")
    assert (await added.json())["added"] is True
    again = await post(floor, f"/handoffs/{first}/tags", token, tag="退款")
    assert (await again.json())["added"] is False
    too_long = await post(floor, f"/handoffs/{first}/tags", token, tag="长" * 40)
    assert too_long.status == 400
    queue = await (await floor.get("/api/queue?tag=退款")).json()
    assert [item["id"] for item in queue["waiting"]] == [first]
    assert queue["waiting"][0]["tags"] == ["退款"]
    everything = await (await floor.get("/api/queue")).json()
    assert {item["id"] for item in everything["waiting"]} == {first, second}
    await post(floor, f"/handoffs/{first}/tags/delete", token, tag="退款")
    assert (await (await floor.get("/api/queue?tag=退款")).json())["waiting"] == []


async def test_transfer_with_a_note_the_receiver_sees_first(floor, fake_rasa):
    shopper, conversation = await web_shopper(floor, fake_rasa)
    try:
        handoff_id = await handoff(floor, conversation, "shopper_request")
        token = await login(floor, "alice")
        await form(floor, f"/handoffs/{handoff_id}/claim", token)
        no_note = await post(
            floor, f"/handoffs/{handoff_id}/transfer", token, agent="bob", note=""
        )
        assert no_note.status == 409
        moved = await post(
            floor,
            f"/handoffs/{handoff_id}/transfer",
            token,
            agent="bob",
            note="已核实订单XK202401010001，顾客要换货",
        )
        assert moved.status == 200, await moved.text()
        polled = await (await shopper.get("/chat/api/messages?after=0")).json()
        assert [m["text"] for m in polled["messages"]] == [TRANSFERRED]
        bob, _ = await as_user(floor, "bob")
        try:
            page = await (await bob.get(f"/conversations/{handoff_id}")).text()
            banner = page.index('id="transfer-note"')
            assert banner < page.index('id="transcript"')
            assert "已核实订单XK202401010001，顾客要换货" in page
            queue = await (await bob.get("/api/queue")).json()
            assert [item["id"] for item in queue["mine"]] == [handoff_id]
        finally:
            await bob.close()
        # alice no longer holds it
        gone = await post(floor, f"/handoffs/{handoff_id}/reply", token, text="在吗")
        assert gone.status == 409
    finally:
        await shopper.close()


async def test_canned_reply_fills_variables_and_a_placeholder_is_never_sent(
    floor, fake_rasa
):
    shopper, conversation = await web_shopper(floor, fake_rasa)
    try:
        summary = {"intents": [], "slots": {"order_id": "XK202401010001"}}
        handoff_id = await handoff(floor, conversation, "shopper_request", summary)
        sue, sue_token = await as_user(floor, "sue")
        try:
            added = await form(
                sue,
                "/canned",
                sue_token,
                title="查物流",
                text="您的订单{订单号}的物流单号是{物流单号}，我是{客服名}",
                scope="team",
            )
            assert added.status == 303
        finally:
            await sue.close()
        token = await login(floor, "alice")
        refused = await form(floor, "/canned", token, title="x", text="y", scope="team")
        assert refused.status == 403
        await form(floor, "/canned", token, title="问候", text="您好{姓名}")
        found = await (await floor.get("/api/canned?q=物流", headers=JSON)).json()
        (reply,) = found["replies"]
        await form(floor, f"/handoffs/{handoff_id}/claim", token)
        filled = await (
            await floor.get(f"/api/handoffs/{handoff_id}/canned/{reply['id']}")
        ).json()
        assert filled == {
            "text": "您的订单XK202401010001的物流单号是{物流单号}，我是alice",
            "missing": ["物流单号"],
        }
        sent = await post(
            floor, f"/handoffs/{handoff_id}/reply", token, text=filled["text"]
        )
        assert sent.status == 409
        assert "{物流单号}" in (await sent.json())["error"]["message"]
        polled = await (await shopper.get("/chat/api/messages?after=0")).json()
        assert polled["messages"] == []
        done = filled["text"].replace("{物流单号}", "SF1234567890")
        assert (
            await post(floor, f"/handoffs/{handoff_id}/reply", token, text=done)
        ).status == 200
        polled = await (await shopper.get("/chat/api/messages?after=0")).json()
        assert [m["text"] for m in polled["messages"]] == [done]
    finally:
        await shopper.close()


async def test_the_supervisor_reassigns_and_agents_cannot(floor, fake_rasa):
    shopper, conversation = await web_shopper(floor, fake_rasa)
    alice, alice_token = await as_user(floor, "alice")
    try:
        handoff_id = await handoff(floor, conversation, "complaint")
        await form(alice, f"/handoffs/{handoff_id}/claim", alice_token)
        url = f"/supervisor/handoffs/{handoff_id}/transfer"
        refused = await post(alice, url, alice_token, agent="bob", note="给你")
        assert refused.status == 403
        token = await login(floor, "sue")
        # to the complaint team, where bob is the online member: assigned to him
        await set_members(floor, token, "投诉", "bob")
        bob, _ = await as_user(floor, "bob")
        try:
            page = await (await floor.get("/supervisor")).text()
            team_id = re.search(r'<option value="(\d+)">投诉</option>', page).group(1)
            moved = await form(
                floor, url, token, agent="", team_id=team_id, note="投诉升级处理"
            )
            assert moved.status == 303, await moved.text()
            queue = await (await bob.get("/api/queue")).json()
            assert [item["id"] for item in queue["mine"]] == [handoff_id]
            mine = await (await alice.get("/api/queue")).json()
            assert mine["mine"] == []
        finally:
            await bob.close()
        polled = await (await shopper.get("/chat/api/messages?after=0")).json()
        assert [m["text"] for m in polled["messages"]] == [TRANSFERRED]
        # roles: bob becomes a supervisor; sue cannot change her own role
        role = await form(floor, "/supervisor/staff/bob/role", token, role="supervisor")
        assert role.status == 303
        page = await (await floor.get("/supervisor")).text()
        assert re.search(r'data-agent="bob"><td>bob</td><td>主管</td>', page)
        own = await form(floor, "/supervisor/staff/sue/role", token, role="agent")
        assert own.status == 409
    finally:
        await shopper.close()
        await alice.close()


async def test_earlier_conversations_of_the_customer_across_channels(floor):
    async def queued(conversation: str, channel: str) -> int:
        response = await floor.post(
            "/internal/handoffs",
            json={
                "conversation_id": conversation,
                "channel": channel,
                "reason": "complaint",
                "summary": {"intents": []},
                "customer_id": "C0001",
            },
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
        return (await response.json())["handoff_id"]

    other = await handoff(floor, "web:someone-else", "complaint")
    first = await queued("web:first-visit", "web")
    token = await login(floor, "alice")
    await form(floor, f"/handoffs/{first}/claim", token)
    await post(floor, f"/handoffs/{first}/tags", token, tag="物流慢")
    await post(floor, f"/handoffs/{first}/close", token)
    second = await queued("wechat:openid-0001", "wechat")
    page = await (await floor.get(f"/conversations/{second}")).text()
    earlier = page[page.index('id="earlier"') :]
    assert f'href="/conversations/{first}"' in earlier
    assert re.search(
        r"网页 · 顾客投诉 · 已关闭（alice）</a> <span class=\"tag\">物流慢", earlier
    )
    assert f'href="/conversations/{other}"' not in earlier
