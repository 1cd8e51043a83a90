"""The console's analytics page and CSV export over a known events table.

The history (``known_history``) is written the way Rasa's SQL tracker store
writes events; ``tests/e2e/test_analytics_browser.py`` uses it too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from bot.analytics.events import load_events, row_values
from bot.analytics.metrics import CHINA, Filters, compute
from bot.console.analytics_csv import report_csv
from bot.console.analytics_views import CHANNEL_LABELS, FLOW_LABELS, REASON_LABELS
from bot.console.users import add_user
from bot.platform.db import dispose_engines
from bot.platform.events import events_table
from tests.integration.console.conftest import console_settings, login, start_console

RANGE = {"start": "2024-05-01", "end": "2024-05-03"}
PHONE_TEXT = "我的手机号13800138000收不到货"


def _at(day: int, hour: int, minute: int = 0, second: int = 0) -> float:
    """Unix time of 2024-05-``day`` ``hour``:``minute`` China time."""
    moment = datetime(2024, 5, 1, hour, minute, second, tzinfo=CHINA)
    return (moment + timedelta(days=day - 1)).timestamp()


class Conversation:
    """Events of one sender, built the way Rasa 3.6 stores them."""

    def __init__(self, sender_id: str, channel: str, start: float) -> None:
        self.sender_id = sender_id
        self.channel = channel
        self.clock = start
        self.events: list[dict[str, Any]] = []

    def _add(self, event: dict[str, Any], after: float = 1.0) -> Conversation:
        self.clock += after
        self.events.append({**event, "timestamp": self.clock})
        return self

    def session(self) -> Conversation:
        self._add({"event": "action", "name": "action_session_start"})
        self._add({"event": "session_started"})
        return self._add({"event": "action", "name": "action_listen"})

    def user(self, text: str, intent: str) -> Conversation:
        return self._add(
            {
                "event": "user",
                "text": text,
                "parse_data": {
                    "intent": {"name": intent, "confidence": 0.93},
                    "entities": [],
                    "text": text,
                },
                "input_channel": self.channel,
                "message_id": f"{self.sender_id}-{len(self.events)}",
                "metadata": {},
            }
        )

    def action(self, name: str) -> Conversation:
        return self._add({"event": "action", "name": name, "policy": "RulePolicy"})

    def bot(
        self, text: str, agent: str | None = None, after: float = 1.0
    ) -> Conversation:
        metadata = {"agent": agent} if agent else {"utter_action": "utter_x"}
        return self._add(
            {"event": "bot", "text": text, "data": {}, "metadata": metadata}, after
        )

    def slot(self, name: str, value: Any) -> Conversation:
        return self._add({"event": "slot", "name": name, "value": value})

    def handoff(self, reason: str, reply_after: float | None) -> Conversation:
        self.slot("handoff_reason", reason).action("action_handoff")
        self.slot("handoff_reason", None)._add({"event": "pause"})
        if reply_after is not None:
            self.bot("您好，我是客服", agent="alice", after=reply_after)
        return self


def known_history() -> list[Conversation]:
    """Five conversations on 1–3 May 2024 (3 web, 2 WeChat) and two that don't count.

    All channels: 5 conversations, 2 handoffs, 10 user messages, 3 fallbacks,
    first replies 90 s and 30 s, ratings 5, 4, 2, 3. WeChat: 2 conversations,
    1 handoff, 4 messages, 1 fallback, reply 30 s, ratings 4, 2.
    """
    web_a = (
        Conversation("web-a-000001", "rest", _at(1, 10))
        .session()
        .user("你好", "greet")
        .bot("您好，我是小客")
        .user("帮我查下快递", "track_delivery")
        .slot("flow_outcome", "delivery_tracked")
        .slot("satisfaction", 5)
    )
    # the same shopper again two days later: a second conversation
    web_a.clock = _at(3, 15)
    web_a.session().user("在吗", "greet").slot("satisfaction", "3")
    web_b = (
        Conversation("web-b-000002", "rest", _at(1, 11))
        .session()
        .user(PHONE_TEXT, "nlu_fallback")
        .user("收货人王芳 怎么办", "nlu_fallback")
        .bot("抱歉，要不要转人工？")
        .user("转人工", "human_handoff")
        .handoff("repeated_fallback", reply_after=90)
    )
    wx_c = (
        Conversation("wx-c-000003", "wechat", _at(2, 9))
        .session()
        .user("我要退货", "return_request")
        .user("XK202405010001", "inform_order")
        .slot("flow_outcome", "return_created")
        .slot("satisfaction", 4.0)
        .user("能不能便宜点", "nlu_fallback")
    )
    wx_d = (
        Conversation("wx-d-000004", "wechat", _at(2, 20))
        .session()
        .user("你们太差了我要投诉", "complain")
        .handoff("complaint", reply_after=30)
        .slot("satisfaction", 2)
    )
    too_early = Conversation("wx-e-000005", "wechat", _at(1, 10) - 10 * 86400)
    too_early.session().user("你好", "greet")
    no_message = Conversation("web-f-000006", "rest", _at(2, 12)).session()
    return [web_a, web_b, wx_c, wx_d, too_early, no_message]


def write_history(path: Path, conversations: list[Conversation]) -> str:
    """An SQLite ``events`` table holding ``conversations``; its sync URL."""
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    table = events_table("events")
    table.create(engine)
    with engine.begin() as connection:
        for conversation in conversations:
            connection.execute(
                table.insert(),
                [row_values(conversation.sender_id, e) for e in conversation.events],
            )
    engine.dispose()
    return url


def expected_report(url: str, filters: Filters):
    """``compute()`` over every stored row (no pre-filtering by the loader)."""
    engine = sa.create_engine(url)
    try:
        rows = load_events(engine, "events")
    finally:
        engine.dispose()
    return compute(rows, filters, top_fallbacks=20)


@pytest.fixture
def events_url(tmp_path: Path) -> Iterator[str]:
    yield write_history(tmp_path / "events.db", known_history())
    dispose_engines()


@pytest.fixture
async def analytics_console(fake_rasa, sqlite_url, events_url):
    await add_user(sqlite_url, "alice", "alice-password")
    settings = console_settings(
        sqlite_url, fake_rasa, analytics_db_url=events_url, analytics_table="events"
    )
    client = await start_console(settings)
    yield client
    await client.close()


def _kpi(html: str, name: str) -> str:
    match = re.search(
        rf'id="kpi-{name}".*?class="kpi-value">(.*?)</strong>', html, re.DOTALL
    )
    assert match, f"no figure {name}"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


async def _page(client, **query: str) -> tuple[int, str]:
    response = await client.get("/analytics", params=query)
    return response.status, await response.text()


async def test_anonymous_visitors_are_sent_to_the_login(analytics_console):
    for path in ("/analytics", "/analytics/export.csv"):
        response = await analytics_console.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"] == "/login"


async def test_staff_see_the_figures_of_the_range(analytics_console):
    await login(analytics_console)
    status, html = await _page(analytics_console, **RANGE)
    assert status == 200
    assert _kpi(html, "conversations") == "5"
    assert _kpi(html, "containment") == "60.0%"
    assert _kpi(html, "handoff") == "40.0%"
    assert _kpi(html, "fallback") == "30.0%"
    assert _kpi(html, "first-reply") == "1分00秒"
    assert _kpi(html, "rating") == "3.50 / 5"
    assert "共 4 条评价" in html
    assert "连续两次没听懂" in html and "顾客投诉" in html
    assert re.search(
        r'data-flow="delivery_tracked"><td>查询物流</td><td class="num">1<', html
    )
    assert re.search(
        r'data-flow="return_created"><td>申请退货</td><td class="num">1<', html
    )
    # fallback texts are masked; chart data and the Chart.js scripts are there
    assert "13800138000" not in html and "138****8000" in html
    assert "王芳" not in html
    assert 'id="analytics-data"' in html
    assert "/static/vendor/chart.umd.js" in html and "/static/analytics.js" in html
    assert '<option value="wechat">微信</option>' in html
    assert 'href="/analytics" id="nav-analytics"' in html


async def test_chart_data_is_json_for_every_chart(analytics_console):
    import json

    await login(analytics_console)
    _, html = await _page(analytics_console, **RANGE)
    raw = re.search(
        r'<script type="application/json" id="analytics-data">(.*?)</script>', html
    )
    assert raw
    charts = json.loads(raw.group(1))
    assert charts["days"] == {
        "labels": ["2024-05-01", "2024-05-02", "2024-05-03"],
        "contained": [1, 1, 1],
        "handoffs": [1, 1, 0],
    }
    assert charts["ratings"]["values"] == [0, 1, 1, 1, 1]
    assert charts["intents"]["labels"][0] == "nlu_fallback"
    assert sorted(charts["reasons"]["labels"]) == sorted(["连续两次没听懂", "顾客投诉"])


async def test_channel_and_date_filters_change_the_figures(analytics_console):
    await login(analytics_console)
    _, wechat = await _page(analytics_console, **RANGE, channel="wechat")
    assert _kpi(wechat, "conversations") == "2"
    assert _kpi(wechat, "handoff") == "50.0%"
    assert _kpi(wechat, "fallback") == "25.0%"
    assert _kpi(wechat, "first-reply") == "30秒"
    assert _kpi(wechat, "rating") == "3.00 / 5"
    assert '<option value="wechat" selected>微信</option>' in wechat
    _, one_day = await _page(analytics_console, start="2024-05-03", end="2024-05-03")
    assert _kpi(one_day, "conversations") == "1"
    assert _kpi(one_day, "handoff") == "0.0%"
    _, earlier = await _page(analytics_console, start="2024-04-01", end="2024-04-30")
    assert _kpi(earlier, "conversations") == "1"
    _, nothing = await _page(analytics_console, start="2023-01-01", end="2023-01-31")
    assert _kpi(nothing, "conversations") == "0"
    assert _kpi(nothing, "containment") == "—"


async def test_the_default_range_is_the_last_30_days(analytics_console):
    await login(analytics_console)
    status, html = await _page(analytics_console)
    today = datetime.now(CHINA).date()
    assert status == 200
    first = today - timedelta(days=29)
    assert f'value="{first.isoformat()}"' in html
    assert f'value="{today.isoformat()}"' in html
    assert _kpi(html, "conversations") == "0"  # the history is from 2024


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "abc", "end": "2024-05-03"}, "开始日期格式不对"),
        ({"start": "2024-05-01", "end": "2024-13-40"}, "结束日期不是有效的日期"),
        ({"start": "2024-05-03", "end": "2024-05-01"}, "结束日期不能早于开始日期"),
        ({"start": "2023-01-01", "end": "2024-05-01"}, "日期范围最长 366 天"),
        (
            {"start": "2024-05-01", "end": "2024-05-03", "channel": "<x>"},
            "渠道名称无效",
        ),
    ],
)
async def test_bad_filters_get_a_400_with_a_chinese_message(
    analytics_console, query, message
):
    await login(analytics_console)
    response = await analytics_console.get("/analytics", params=query)
    assert response.status == 400
    html = await response.text()
    assert 'id="analytics-error"' in html and message in html
    assert "<x>" not in html  # typed input shown escaped
    export = await analytics_console.get("/analytics/export.csv", params=query)
    assert export.status == 400
    assert message in await export.text()


async def test_a_full_year_range_is_accepted(analytics_console):
    await login(analytics_console)
    status, _ = await _page(analytics_console, start="2023-05-04", end="2024-05-03")
    assert status == 200  # 366 days, 2024 being a leap year


def _csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


@pytest.mark.parametrize("channel", [None, "wechat", "rest"])
async def test_csv_export_equals_compute_over_the_same_rows(
    analytics_console, events_url, channel
):
    await login(analytics_console)
    query = dict(RANGE, **({"channel": channel} if channel else {}))
    response = await analytics_console.get("/analytics/export.csv", params=query)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    suffix = f"-{channel}" if channel else ""
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="xiaoke-analytics-20240501-20240503{suffix}.csv"'
    )
    body = await response.read()
    expected = expected_report(
        events_url,
        Filters(start=date(2024, 5, 1), end=date(2024, 5, 3), channel=channel),
    )
    assert body == report_csv(
        expected,
        reason_labels=REASON_LABELS,
        flow_labels=FLOW_LABELS,
        channel_labels=CHANNEL_LABELS,
    )
    rows = _csv_rows(body)
    totals = {row[0]: row[1] for row in rows if len(row) == 2}
    assert totals["会话数"] == str(expected.conversations)
    assert totals["转人工会话数"] == str(expected.handoffs)
    assert totals["兜底回复数"] == str(expected.fallback_messages)
    assert "13800138000" not in body.decode("utf-8-sig")


async def test_csv_export_of_all_channels_has_the_known_numbers(analytics_console):
    await login(analytics_console)
    response = await analytics_console.get("/analytics/export.csv", params=RANGE)
    rows = _csv_rows(await response.read())
    assert ["2024-05-01", "2", "1", "1", "5", "2", "1"] in rows
    assert ["2024-05-02", "2", "1", "1", "4", "1", "2"] in rows
    totals = {row[0]: row[1] for row in rows if len(row) == 2}
    assert totals["会话数"] == "5" and totals["自助解决率"] == "60.0%"
    assert totals["首次人工回复中位时间（秒）"] == "60.0"
    assert ["我的手机号138****8000收不到货", "1"] in rows


async def test_without_a_sql_tracker_store_the_page_says_analytics_are_unavailable(
    fake_rasa, sqlite_url
):
    await add_user(sqlite_url, "alice", "alice-password")
    client = await start_console(
        console_settings(sqlite_url, fake_rasa, analytics_db_url=None)
    )
    try:
        await login(client)
        response = await client.get("/analytics")
        html = await response.text()
        assert response.status == 200
        assert 'id="analytics-unavailable"' in html and "统计不可用" in html
        assert 'id="kpi-conversations"' not in html
        export = await client.get("/analytics/export.csv")
        assert export.status == 503 and "统计不可用" in await export.text()
    finally:
        await client.close()


async def test_a_missing_events_table_shows_an_empty_report(
    fake_rasa, sqlite_url, tmp_path
):
    await add_user(sqlite_url, "alice", "alice-password")
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    client = await start_console(
        console_settings(sqlite_url, fake_rasa, analytics_db_url=empty)
    )
    try:
        await login(client)
        status, html = await _page(client, **RANGE)
        assert status == 200 and _kpi(html, "conversations") == "0"
    finally:
        await client.close()
        dispose_engines()


async def test_an_unreadable_database_gets_a_chinese_message_not_a_500(
    fake_rasa, sqlite_url, tmp_path
):
    await add_user(sqlite_url, "alice", "alice-password")
    broken = f"sqlite:///{tmp_path / 'no-such-dir' / 'events.db'}"
    client = await start_console(
        console_settings(sqlite_url, fake_rasa, analytics_db_url=broken)
    )
    try:
        await login(client)
        response = await client.get("/analytics", params=RANGE)
        assert response.status == 503
        assert "统计数据暂时读取不到" in await response.text()
        export = await client.get("/analytics/export.csv", params=RANGE)
        assert export.status == 503
    finally:
        await client.close()
        dispose_engines()
