"""The 待标注 page: trainers only, masked messages, verdicts kept, export, score."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.analytics.events import row_values
from bot.console.repository import ConsoleRepository
from bot.console.review_export import main as export_main
from bot.console.review_repository import ReviewRepository
from bot.console.users import add_user, set_grant
from bot.platform.db import create_async_engine, dispose_engines
from bot.platform.events import events_table
from tests.integration.console.conftest import (
    console_settings,
    csrf_of,
    login,
    start_console,
)

PHONE = "13800138000"
SENDER = "web:review-0001"


def _user(text: str, intent: str, confidence: float, at: float) -> dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "timestamp": at,
        "parse_data": {
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [{"name": intent, "confidence": confidence}],
        },
    }


def _events(now: float) -> list[tuple[str, dict[str, Any]]]:
    return [
        (SENDER, _user(f"我电话{PHONE}那个积分咋整", "check_loyalty", 0.41, now - 60)),
        (
            SENDER,
            {
                "event": "action",
                "name": "action_default_fallback",
                "timestamp": now - 59,
            },
        ),
        (SENDER, _user("快递到哪了", "track_delivery", 0.97, now - 30)),
        ("web:review-0002", _user("亲在吗", "greet", 0.5, now - 20)),
    ]


@pytest.fixture
def events_url(tmp_path: Path) -> Iterator[str]:
    now = time.time()
    url = f"sqlite:///{tmp_path / 'events.db'}"
    engine = sa.create_engine(url)
    table = events_table("events")
    table.create(engine)
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [row_values(sender, event) for sender, event in _events(now)],
        )
    engine.dispose()
    yield url
    dispose_engines()


class ParsingRasa:
    """Rasa's ``/model/parse``: a fixed intent per text, everything else greet."""

    def __init__(self, intents: dict[str, str]) -> None:
        self.intents = intents
        self.token = "rasa-test-token"

    async def parse(self, request: web.Request) -> web.Response:
        if request.query.get("token") != self.token:
            raise web.HTTPUnauthorized()
        text = (await request.json())["text"]
        name = self.intents.get(text, "greet")
        return web.json_response(
            {"text": text, "intent": {"name": name, "confidence": 0.9}, "model": "m1"}
        )


@pytest.fixture
async def review_console(tmp_path, events_url):
    database = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    await add_user(database, "alice", "alice-password")
    await add_user(database, "bob", "bob-password")
    assert await set_grant(database, "alice", "trainer")
    rasa = ParsingRasa({})
    app = web.Application()
    app.router.add_post("/model/parse", rasa.parse)
    server = TestServer(app)
    await server.start_server()
    rasa.url = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
    settings = console_settings(
        database,
        rasa,  # type: ignore[arg-type]
        analytics_db_url=events_url,
        analytics_table="events",
    )
    client = await start_console(settings)
    client.database = database  # type: ignore[attr-defined]
    client.rasa = rasa  # type: ignore[attr-defined]
    yield client
    await client.close()
    await server.close()


async def test_only_trainers_see_the_page(review_console):
    await login(review_console, "bob")
    page = await review_console.get("/review", allow_redirects=False)
    assert page.status == 403
    assert "标注员" in (await page.json())["error"]["message"]
    queue = await review_console.get("/queue")
    assert 'id="nav-review"' not in await queue.text()


async def test_the_page_lists_uncertain_messages_masked(review_console):
    await login(review_console, "alice")
    page = await review_console.get("/review")
    html = await page.text()
    assert page.status == 200
    assert PHONE not in html and "积分咋整" in html
    assert "没听懂（兜底）" in html and "置信度低" in html
    assert "快递到哪了" not in html  # confident and answered: not listed
    assert 'id="todo-count">2<' in html
    queue = await review_console.get("/queue")
    assert 'id="nav-review"' in await queue.text()


async def _rows(client) -> list[dict[str, Any]]:
    response = await client.get(
        "/review?status=all", headers={"Accept": "application/json"}
    )
    assert response.status == 200
    return (await response.json())["rows"]


async def test_a_verdict_is_stored_with_the_shoppers_text_not_the_browsers(
    review_console,
):
    token = await login(review_console, "alice")
    row = next(r for r in await _rows(review_console) if r["sender_id"] == SENDER)
    response = await review_console.post(
        "/review/label",
        data={
            "csrf_token": token,
            "sender_id": SENDER,
            "timestamp": row["timestamp"],
            "label": "check_loyalty",
            "reasons": "fallback,bogus",
            "text": "注入的训练文本",
        },
        allow_redirects=False,
    )
    assert response.status == 303
    engine = create_async_engine(review_console.database)
    try:
        [label] = await ReviewRepository(engine).labels()
    finally:
        await engine.dispose()
    assert label.text.startswith("我电话") and PHONE not in label.text
    assert (label.label, label.predicted_intent, label.reviewer) == (
        "check_loyalty",
        "check_loyalty",
        "alice",
    )
    assert label.reasons == ["fallback"]
    done = await (await review_console.get("/review?status=done")).text()
    todo = await (await review_console.get("/review")).text()
    assert "积分咋整" in done and "积分咋整" not in todo
    assert 'id="reviewed-count">1<' in done and 'id="served-accuracy">100%' in done


async def test_bad_verdicts_are_refused_and_change_nothing(review_console):
    token = await login(review_console, "alice")
    row = next(r for r in await _rows(review_console) if r["sender_id"] == SENDER)
    base = {"csrf_token": token, "sender_id": SENDER, "timestamp": row["timestamp"]}
    unknown = await review_console.post(
        "/review/label", data={**base, "label": "no_such"}
    )
    missing = await review_console.post(
        "/review/label", data={**base, "timestamp": "1.5", "label": "greet"}
    )
    no_csrf = await review_console.post(
        "/review/label", data={**base, "csrf_token": "", "label": "greet"}
    )
    assert (unknown.status, missing.status, no_csrf.status) == (400, 404, 403)
    assert "意图" in (await unknown.json())["error"]["message"]
    bad_days = await review_console.get("/review?days=1000")
    assert bad_days.status == 400
    engine = create_async_engine(review_console.database)
    try:
        assert await ReviewRepository(engine).labels() == []
    finally:
        await engine.dispose()


async def test_export_score_and_erasure(review_console, tmp_path):
    token = await login(review_console, "alice")
    rows = {r["sender_id"]: r for r in await _rows(review_console)}
    for sender, label in ((SENDER, "check_loyalty"), ("web:review-0002", "__noise__")):
        response = await review_console.post(
            "/review/label",
            data={
                "csrf_token": token,
                "sender_id": sender,
                "timestamp": rows[sender]["timestamp"],
                "label": label,
            },
            allow_redirects=False,
        )
        assert response.status == 303
    # A second verdict replaces the first.
    await review_console.post(
        "/review/label",
        data={
            "csrf_token": await csrf_of(review_console, "/review"),
            "sender_id": SENDER,
            "timestamp": rows[SENDER]["timestamp"],
            "label": "ask_points_rewards",
        },
        allow_redirects=False,
    )
    out = tmp_path / "reviewed.yml"
    argv = ["--database-url", review_console.database, "--out", str(out)]
    assert await asyncio.to_thread(export_main, argv) == 0  # a CLI: its own loop
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    [block] = data["nlu"]
    assert block["intent"] == "ask_points_rewards"
    assert PHONE not in block["examples"] and "积分咋整" in block["examples"]

    # The loaded model says greet for everything: 0 of the 1 judged message.
    scored = await review_console.post(
        "/review/score", data={"csrf_token": token}, allow_redirects=False
    )
    assert scored.status == 303
    html = await (await review_console.get("/review")).text()
    assert "答对 <strong>0/1</strong>" in html and "m1" in html

    engine = create_async_engine(review_console.database)
    try:
        await ConsoleRepository(engine).erase_conversation(SENDER)
        left = await ReviewRepository(engine).labels()
    finally:
        await engine.dispose()
    assert [label.sender_id for label in left] == ["web:review-0002"]


async def test_roles_need_an_account_and_can_be_revoked(tmp_path):
    database = f"sqlite+aiosqlite:///{tmp_path / 'roles.db'}"
    with pytest.raises(ValueError, match="no staff account"):
        await set_grant(database, "ghost", "trainer")
    await add_user(database, "carol", "carol-password")
    assert await set_grant(database, "carol", "trainer")
    assert not await set_grant(database, "carol", "trainer")
    assert await set_grant(database, "carol", "trainer", revoke=True)
    engine = create_async_engine(database)
    try:
        assert await ReviewRepository(engine).roles("carol") == set()
    finally:
        await engine.dispose()
