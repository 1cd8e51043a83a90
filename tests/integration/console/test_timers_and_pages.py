"""Service timers and WeChat's limits on the pages and APIs; long transcripts in
pages; search by masked phone."""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import replace

from bot.backends.common.db import create_engine
from bot.console.repository import ConsoleRepository, utcnow
from bot.console.users import add_user
from bot.console.workbench import WorkbenchRepository
from tests.integration.console.conftest import (
    API_TOKEN,
    console_settings,
    login,
    start_console,
)
from tests.integration.console.test_console_api import web_shopper
from tests.integration.console.test_workbench_api import JSON, form, post

HOUR = 3600.0


async def handoff(console, conversation: str, channel: str = "web", **summary) -> int:
    response = await console.post(
        "/internal/handoffs",
        json={
            "conversation_id": conversation,
            "channel": channel,
            "reason": "shopper_request",
            "summary": {"intents": [], **summary},
        },
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert response.status == 201, await response.text()
    return (await response.json())["handoff_id"]


async def test_queue_sorts_by_urgency_and_timers_follow_the_conversation(
    console, fake_rasa
):
    token = await login(console, "alice")
    first = await handoff(console, "wechat:timer-a", "wechat")
    second = await handoff(console, "wechat:timer-b", "wechat")
    queue = await (await console.get("/api/queue")).json()
    assert [item["id"] for item in queue["waiting"]] == [first, second]
    timer = queue["waiting"][0]["sla"]
    assert timer["kind"] == "first" and timer["label"] == "首次响应"
    assert timer["state"] == "ok"
    # default limit: 60 s of service (the test's service hours: always open)
    assert 59_000 <= timer["deadline"] - time.time() * 1000 <= 61_000
    assert timer["warn_at"] < timer["deadline"]

    # both claimed; the first is answered: it sorts after the unanswered one
    for handoff_id in (first, second):
        await form(console, f"/handoffs/{handoff_id}/claim", token)
    fake_rasa.events["wechat:timer-a"].append(
        {"event": "user", "text": "在吗", "timestamp": time.time()}
    )
    replied = await post(console, f"/handoffs/{first}/reply", token, text="在的")
    assert replied.status == 502  # not delivered: no timer change either
    await _answer(console, fake_rasa, first, "wechat:timer-a")
    mine = (await (await console.get("/api/queue")).json())["mine"]
    assert [item["id"] for item in mine] == [second, first]
    assert mine[1]["sla"] is None

    # the shopper writes again: the next-response timer runs from that message
    asked = time.time()
    fake_rasa.events["wechat:timer-a"].append(
        {"event": "user", "text": "还有个问题", "timestamp": asked}
    )
    timers = await (await console.get(f"/api/handoffs/{first}/timers")).json()
    assert timers["sla"]["kind"] == "next" and timers["sla"]["label"] == "再次响应"
    assert abs(timers["sla"]["deadline"] - (asked + 120) * 1000) < 1000
    page = await (await console.get(f"/conversations/{first}")).text()
    assert 'id="sla" class="sla sla-ok"' in page and "再次响应" in page


async def _answer(console, fake_rasa, handoff_id: int, conversation: str) -> None:
    """An agent line in the transcript (as the WeChat relay would record it)."""
    fake_rasa.events[conversation].append(
        {
            "event": "bot",
            "text": "您好",
            "metadata": {"agent": "alice"},
            "timestamp": time.time(),
        }
    )
    await console.get(f"/api/handoffs/{handoff_id}/timers")


async def test_a_late_timer_is_red_on_the_queue_page(fake_rasa, sqlite_url):
    await add_user(sqlite_url, "alice", "alice-password")
    client = await start_console(
        console_settings(sqlite_url, fake_rasa, sla_first=1.0, sla_next=2.0)
    )
    try:
        await login(client, "alice")
        await handoff(client, "web:late-one")
        await asyncio.sleep(1.1)
        page = await (await client.get("/queue")).text()
        assert re.search(r'<td class="sla sla-late" data-timer=', page), page
    finally:
        await client.close()


async def test_wechat_and_kf_limits_beside_the_chat(console, fake_rasa):
    await login(console, "alice")
    now = time.time()
    for conversation, channel in (
        ("wechat:lim-oa", "wechat"),
        ("wecom:lim-kf", "wecom"),
    ):
        fake_rasa.events[conversation] = [
            {"event": "user", "text": "你好", "timestamp": now - 2 * HOUR},
            {"event": "user", "text": "转人工", "timestamp": now - HOUR},
            {
                "event": "bot",
                "text": "一",
                "metadata": {"agent": "bob"},
                "timestamp": now,
            },
            {
                "event": "bot",
                "text": "二",
                "metadata": {"agent": "bob"},
                "timestamp": now,
            },
        ]
        handoff_id = await handoff(console, conversation, channel)
        timers = await (await console.get(f"/api/handoffs/{handoff_id}/timers")).json()
        limits = timers["limits"]
        assert limits["channel"] == channel
        assert (limits["quota"], limits["used"], limits["left"]) == (5, 2, 3)
        assert limits["open"] is True
        assert abs(limits["window_ends"] - (now - HOUR + 48 * HOUR) * 1000) < 1000
        page = await (await console.get(f"/conversations/{handoff_id}")).text()
        assert 'id="wechat-limits"' in page
        assert "3 条（顾客每发一条消息后最多 5 条）" in page
    # a window that closed: nothing left to send
    fake_rasa.events["wechat:lim-old"] = [
        {"event": "user", "text": "你好", "timestamp": now - 49 * HOUR}
    ]
    old = await handoff(console, "wechat:lim-old", "wechat")
    limits = (await (await console.get(f"/api/handoffs/{old}/timers")).json())["limits"]
    assert limits["open"] is False and limits["left"] == 0
    page = await (await console.get(f"/conversations/{old}")).text()
    assert "已关闭（顾客再发消息后才能回复）" in page
    # web chat: WeChat's limits do not apply
    web = await handoff(console, "web:lim-web")
    timers = await (await console.get(f"/api/handoffs/{web}/timers")).json()
    assert timers["limits"] is None
    assert (
        'id="wechat-limits"'
        not in await (await console.get(f"/conversations/{web}")).text()
    )


async def test_long_transcript_loads_in_pages(console, fake_rasa):
    await login(console, "alice")
    start = time.time() - HOUR
    fake_rasa.events["web:long-talk"] = [
        {"event": "user", "text": f"第{i}句", "timestamp": start + i}
        for i in range(130)
    ]
    handoff_id = await handoff(console, "web:long-talk")
    page = await (await console.get(f"/conversations/{handoff_id}")).text()
    transcript = page[page.index('id="transcript"') :]
    shown = re.findall(r"第(\d+)句", transcript)
    assert shown == [str(i) for i in range(80, 130)]
    cursor = re.search(r'id="load-earlier"[^>]*data-before="(\d+)"', page).group(1)
    assert cursor == "80"

    seen: list[int] = []
    url = f"/api/handoffs/{handoff_id}/transcript?before={cursor}"
    while True:
        body = await (await console.get(url, headers=JSON)).json()
        seen = [int(e["text"][1:-1]) for e in body["entries"]] + seen
        if body["earliest"] is None:
            break
        url = f"/api/handoffs/{handoff_id}/transcript?before={body['earliest']}"
    assert seen == list(range(80))
    small = await (
        await console.get(
            f"/api/handoffs/{handoff_id}/transcript?before=10&limit=3", headers=JSON
        )
    ).json()
    assert [e["text"] for e in small["entries"]] == ["第7句", "第8句", "第9句"]
    assert small["earliest"] == 7
    bad = await console.get(
        f"/api/handoffs/{handoff_id}/transcript?before=x", headers=JSON
    )
    assert bad.status == 400
    missing = await console.get("/api/handoffs/999999/transcript", headers=JSON)
    assert missing.status == 404


async def test_earlier_pages_are_masked_for_staff_not_handling_it(console, fake_rasa):
    await login(console, "alice")
    fake_rasa.events["web:masked-long"] = [
        {"event": "user", "text": "我的手机13812345678", "timestamp": 1000.0 + i}
        for i in range(60)
    ]
    handoff_id = await handoff(console, "web:masked-long")
    body = await (
        await console.get(
            f"/api/handoffs/{handoff_id}/transcript?before=10", headers=JSON
        )
    ).json()
    assert body["entries"] and all(
        e["text"] == "我的手机138****5678" for e in body["entries"]
    )


async def test_search_by_masked_phone_or_its_last_four_digits(console):
    await login(console, "alice")
    suffix = str(utcnow().timestamp()).replace(".", "")[-6:]
    from_slot = await handoff(
        console, f"web:phone-a-{suffix}", slots={"phone": "13812345678"}
    )
    from_text = await handoff(
        console, f"web:phone-b-{suffix}", last_message="电话139 0000 5678"
    )
    other = await handoff(
        console, f"web:phone-c-{suffix}", slots={"phone": "13700001111"}
    )

    async def search(phone: str) -> list[int]:
        page = await console.get(f"/search?phone={phone}")
        assert page.status == 200, await page.text()
        text = await page.text()
        results = text[text.index('id="results"') :]
        return [int(found) for found in re.findall(r'<tr data-id="(\d+)"', results)]

    assert await search("138****5678") == [from_slot]
    assert await search("13812345678") == [from_slot]
    assert await search("5678") == [from_text, from_slot]
    assert other not in await search("5678")
    page = await (await console.get("/search?phone=138****5678")).text()
    assert "13812345678" not in page  # shown masked only
    bad = await console.get("/search?phone=12ab", headers={"Accept": "x"})
    assert bad.status == 400
    assert "后四位" in (await bad.json())["error"]["message"]


async def test_a_deletion_request_empties_the_masked_phone(sqlite_url):
    engine = create_engine(sqlite_url)
    try:
        repository = ConsoleRepository(engine)
        await repository.create_tables()
        handoff = await repository.enqueue(
            conversation_id="web:erase-phone",
            channel="web",
            reason="shopper_request",
            summary={"slots": {"phone": "13812345678"}},
            customer_id=None,
            phone_hint="138****5678",
        )
        assert (await repository.get(handoff.id)).phone_hint == "138****5678"
        _, emptied = await repository.erase_conversation("web:erase-phone")
        assert emptied == 1
        assert (await repository.get(handoff.id)).phone_hint is None
        found = await WorkbenchRepository(engine).search(phone=("tail", "5678"))
        assert found == []
    finally:
        await engine.dispose()


async def test_the_sweep_notices_a_wechat_shopper_writing_without_a_page_open(
    fake_rasa, sqlite_url
):
    """The queue itself reads no transcript: the console's sweep does."""
    await add_user(sqlite_url, "alice", "alice-password")
    client = await start_console(
        console_settings(sqlite_url, fake_rasa, assign_interval=0.2)
    )
    try:
        token = await login(client, "alice")
        handoff_id = await handoff(client, "wechat:swept", "wechat")
        await form(client, f"/handoffs/{handoff_id}/claim", token)
        await _answer(client, fake_rasa, handoff_id, "wechat:swept")
        mine = (await (await client.get("/api/queue")).json())["mine"]
        assert mine[0]["sla"] is None
        asked = time.time()
        fake_rasa.events["wechat:swept"].append(
            {"event": "user", "text": "还在吗", "timestamp": asked}
        )
        for _ in range(50):
            mine = (await (await client.get("/api/queue")).json())["mine"]
            if mine[0]["sla"] is not None:
                break
            await asyncio.sleep(0.1)
        assert mine[0]["sla"]["kind"] == "next"
        assert abs(mine[0]["sla"]["deadline"] - (asked + 120) * 1000) < 1000
    finally:
        await client.close()


async def test_the_supervisor_sees_each_live_timer(fake_rasa, sqlite_url):
    await add_user(sqlite_url, "sue", "sue-password", role="supervisor")
    client = await start_console(console_settings(sqlite_url, fake_rasa))
    try:
        await login(client, "sue")
        handoff_id = await handoff(client, "web:supervised")
        page = await (await client.get("/supervisor")).text()
        row = page[page.index(f'<tr data-id="{handoff_id}">') :]
        assert re.match(
            r'<tr data-id="\d+">.*?<td class="sla sla-ok" data-timer=\'\{[^\']*'
            r'"kind": "first"',
            row,
            re.S,
        ), row[:600]
    finally:
        await client.close()


async def test_a_web_chat_message_reaches_the_agents_stream_before_the_next_poll(
    fake_rasa, sqlite_url
):
    """The console wakes its streams of the conversation (a 5 s poll here)."""
    await add_user(sqlite_url, "alice", "alice-password")
    settings = replace(console_settings(sqlite_url, fake_rasa), poll_interval=5.0)
    client = await start_console(settings)
    try:
        token = await login(client, "alice")
        shopper, conversation = await web_shopper(client, fake_rasa)
        handoff_id = await handoff(client, conversation)
        await form(client, f"/handoffs/{handoff_id}/claim", token)
        count = len(fake_rasa.events[conversation])
        stream = await client.get(f"/api/handoffs/{handoff_id}/stream?from={count}")
        await stream.content.readline()  # the first event: the stream is polling
        await asyncio.sleep(0.3)  # now in its 5 s pause
        started = time.perf_counter()
        await shopper.post("/chat/api/send", json={"message": "急！在吗"})
        while True:
            line = await asyncio.wait_for(stream.content.readline(), timeout=3)
            if "急！在吗" in line.decode():
                break
        assert time.perf_counter() - started < 2  # not the 5 s poll
        stream.close()
        await shopper.close()
    finally:
        await client.close()
