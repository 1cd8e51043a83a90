"""Searching conversations by order number, tag, agent and date."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.console.repository import utcnow
from tests.integration.console.conftest import login
from tests.integration.console.test_workbench_api import form, handoff, post


def ids_in(page: str) -> list[int]:
    results = page[page.index('id="results"') :]
    return [int(found) for found in re.findall(r'<tr data-id="(\d+)"', results)]


async def test_search_by_order_tag_agent_and_date(console_factory, database_url):
    console = await console_factory(database_url)
    suffix = str(utcnow().timestamp()).replace(".", "")[-8:]  # shared PostgreSQL
    order = f"XK9{suffix}123"
    with_order = await handoff(
        console,
        f"web:search-a-{suffix}",
        "shopper_request",
        {"intents": [], "order_numbers": [order]},
    )
    plain = await handoff(console, f"web:search-b-{suffix}", "complaint")
    token = await login(console, "alice")
    await form(console, f"/handoffs/{plain}/claim", token)
    tag = f"查询{suffix}"
    await post(console, f"/handoffs/{plain}/tags", token, tag=tag)

    async def search(query: str) -> list[int]:
        page = await console.get(f"/search?{query}")
        assert page.status == 200, await page.text()
        return ids_in(await page.text())

    assert await search(f"order={order}") == [with_order]
    assert await search(f"order={order[:-3]}") == [with_order]  # part of it
    assert await search(f"tag={tag}") == [plain]
    by_alice = await search("agent=alice")
    assert plain in by_alice and with_order not in by_alice
    today = (utcnow() + timedelta(hours=8)).date()
    dated = await search(f"order={order}&from={today}&to={today}")
    assert dated == [with_order]
    tomorrow = today + timedelta(days=1)
    assert await search(f"order={order}&from={tomorrow}") == []
    bad = await console.get("/search?from=31/01/2024", headers={"Accept": "x"})
    assert bad.status == 400
    assert (await bad.json())["error"]["message"] == "开始日期的格式应为 2024-01-31"
    sneaky = await console.get("/search?order=%25")
    assert sneaky.status == 400
