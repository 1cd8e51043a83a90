"""The analytics figures equal the totals a generated event history recorded."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta

import pytest

from bot.analytics.events import EventRow
from bot.analytics.metrics import (
    CHINA,
    DayFigures,
    FallbackText,
    Filters,
    compute,
    rating_value,
)
from tests.support.event_history import BASE_DAY, History, generate

SEEDS = (7, 11, 2026)


@pytest.fixture(scope="module", params=SEEDS)
def history(request) -> History:
    return generate(request.param)


def test_generated_history_covers_the_cases_it_claims(history):
    for case in (
        "crosses_midnight",
        "started_before_midnight",
        "empty_session",
        "no_session_started",
        "no_reason",
        "two_reasons",
        "no_agent_reply",
        "bot_before_agent",
        "second_handoff",
        "handoff_without_pause",
        "pause_without_handoff",
        "blanked_fallback",
        "junk_rating",
        "empty_flow_outcome",
        "other_channel_message",
    ):
        assert history.notes[case] > 0, case
    days = {truth.day for truth in history.truths}
    assert len(days) >= 4
    assert {truth.channel for truth in history.truths} == {"rest", "wechat"}
    # Events really lie on both sides of a China-time midnight in one session.
    stamps = [
        datetime.fromtimestamp(row.timestamp, CHINA).time() for row in history.rows
    ]
    assert any(t >= time(23, 50) for t in stamps)
    assert any(time(0, 0) <= t <= time(0, 30) for t in stamps)


def test_report_equals_the_recorded_totals(history):
    assert compute(history.rows) == history.expected()


def test_report_figures_are_consistent(history):
    report = compute(history.rows)
    assert report.conversations == len(history.truths) > 100
    assert report.contained + report.handoffs == report.conversations
    assert sum(report.handoff_reasons.values()) == report.handoffs
    assert "unknown" in report.handoff_reasons
    assert sum(day.conversations for day in report.per_day) == report.conversations
    assert sum(day.user_messages for day in report.per_day) == report.user_messages
    assert sum(day.ratings for day in report.per_day) == report.rating_count
    assert sum(report.intents.values()) == report.user_messages
    assert report.intents["nlu_fallback"] == report.fallback_messages
    assert len(report.first_agent_reply_seconds) < report.handoffs
    assert all(seconds > 0 for seconds in report.first_agent_reply_seconds)
    assert [day.day for day in report.per_day] == sorted(
        day.day for day in report.per_day
    )


def test_fallback_texts_are_masked_and_whitespace_normalised(history):
    texts = [
        item.text for item in compute(history.rows, top_fallbacks=50).top_fallbacks
    ]
    assert "我的手机138****8000收不到验证码" in texts
    assert "电话 139****5678 打不通" in texts
    assert "那个 东西 怎么弄" in texts  # two spellings grouped as one
    assert not any("13800138000" in text or "1234 5678" in text for text in texts)
    assert "" not in texts and None not in texts


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (BASE_DAY, BASE_DAY),
        (BASE_DAY + timedelta(days=1), BASE_DAY + timedelta(days=2)),
        (BASE_DAY + timedelta(days=2), None),
        (None, BASE_DAY + timedelta(days=1)),
        (date(2020, 1, 1), date(2020, 1, 2)),
    ],
)
def test_date_range_counts_conversations_by_first_message_day(history, start, end):
    filters = Filters(start=start, end=end)
    assert compute(history.rows, filters) == history.expected(filters)


@pytest.mark.parametrize("channel", ["rest", "wechat", "web"])
def test_channel_filter_keeps_the_channel_list_whole(history, channel):
    filters = Filters(channel=channel)
    report = compute(history.rows, filters)
    assert report == history.expected(filters)
    assert report.channels == ["rest", "wechat"]


def test_date_range_and_channel_together(history):
    filters = Filters(
        start=BASE_DAY + timedelta(days=1),
        end=BASE_DAY + timedelta(days=1),
        channel="wechat",
    )
    assert compute(history.rows, filters) == history.expected(filters)


def test_top_fallbacks_limit_keeps_the_most_frequent(history):
    full = compute(history.rows, top_fallbacks=100).top_fallbacks
    assert compute(history.rows, top_fallbacks=2).top_fallbacks == full[:2]
    counts = [item.count for item in full]
    assert counts == sorted(counts, reverse=True)
    assert compute(history.rows, top_fallbacks=0).top_fallbacks == []


def test_rows_survive_a_json_round_trip(history):
    """What a database gives back (``data`` column parsed) counts the same."""
    rows = [
        EventRow(row.sender_id, row.timestamp, json.loads(json.dumps(row.event)))
        for row in history.rows
    ]
    assert compute(rows) == compute(history.rows)


# --- edge cases, on hand-written events ------------------------------------

T0 = datetime(2026, 3, 9, 10, 0, tzinfo=CHINA).timestamp()


def _user(t, intent="greet", text="你好", channel="rest"):
    return {
        "event": "user",
        "timestamp": T0 + t,
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.9}},
        "input_channel": channel,
    }


def _slot(t, name, value):
    return {"event": "slot", "timestamp": T0 + t, "name": name, "value": value}


def _action(t, name):
    return {"event": "action", "timestamp": T0 + t, "name": name}


def _simple(t, kind, **data):
    return {"event": kind, "timestamp": T0 + t, **data}


def _rows(*events, sender="s1"):
    return [EventRow(sender, event["timestamp"], event) for event in events]


def test_empty_input_gives_an_empty_report():
    report = compute([])
    assert report.conversations == report.handoffs == report.user_messages == 0
    assert report.ratings == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert report.per_day == [] and report.top_fallbacks == [] and report.channels == []
    assert report.handoff_reasons == {} and report.intents == {} and report.flows == {}
    assert report.containment_rate is None
    assert report.handoff_rate is None
    assert report.fallback_rate is None
    assert report.median_first_agent_reply_seconds is None
    assert report.mean_rating is None
    assert report.rating_count == 0


def test_sessions_without_a_user_message_count_for_nothing():
    rows = _rows(
        _simple(0, "session_started"),
        _slot(1, "satisfaction", 5),
        _slot(2, "flow_outcome", "return_created"),
        _action(3, "action_handoff"),
        _simple(4, "pause"),
        _simple(100, "session_started"),
        _action(101, "action_listen"),
    )
    assert compute(rows) == compute([])


def test_pause_without_action_handoff_is_contained():
    rows = _rows(
        _simple(0, "session_started"),
        _user(1),
        _simple(2, "pause"),
        _simple(30, "bot", text="我来", metadata={"agent": "a1"}),
    )
    report = compute(rows)
    assert (report.conversations, report.contained, report.handoffs) == (1, 1, 0)
    assert report.first_agent_reply_seconds == []
    assert report.containment_rate == 1.0


def test_action_handoff_without_pause_is_no_handoff():
    rows = _rows(
        _user(1), _action(2, "action_handoff"), _slot(3, "handoff_reason", None)
    )
    assert compute(rows).handoffs == 0


def test_handoff_reason_is_the_latest_set_and_reply_time_the_first_agent_bot():
    rows = _rows(
        _user(1),
        _slot(2, "handoff_reason", "complaint"),
        _slot(3, "handoff_reason", "repeated_fallback"),
        _user(4, "human_handoff"),
        _action(5, "action_handoff"),
        _slot(5.5, "handoff_reason", None),
        _simple(6, "pause"),
        _simple(8, "bot", text="排队中", metadata={"utter_action": "x"}),
        _simple(66.5, "bot", text="您好", metadata={"agent": "a1"}),
        _simple(90, "bot", text="还在吗", metadata={"agent": "a1"}),
    )
    report = compute(rows)
    assert report.handoff_reasons == {"repeated_fallback": 1}
    assert report.first_agent_reply_seconds == [60.5]
    assert report.median_first_agent_reply_seconds == 60.5
    assert report.handoff_rate == 1.0


def test_handoff_without_reason_or_reply():
    rows = _rows(_user(1), _action(2, "action_handoff"), _simple(3, "pause"))
    report = compute(rows)
    assert report.handoff_reasons == {"unknown": 1}
    assert report.first_agent_reply_seconds == []


def test_two_handoffs_in_one_session_count_once():
    rows = _rows(
        _user(1),
        _slot(2, "handoff_reason", "complaint"),
        _action(3, "action_handoff"),
        _simple(4, "pause"),
        _simple(10, "bot", text="您好", metadata={"agent": "a1"}),
        _simple(11, "resume"),
        _user(12),
        _slot(13, "handoff_reason", "shopper_request"),
        _action(14, "action_handoff"),
        _simple(15, "pause"),
        _simple(40, "bot", text="您好", metadata={"agent": "a2"}),
    )
    report = compute(rows)
    assert report.handoffs == 1
    assert report.handoff_reasons == {"complaint": 1}
    assert report.first_agent_reply_seconds == [6.0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, 1),
        (5, 5),
        (5.0, 5),
        ("5", 5),
        (" 3 ", 3),
        ("abc", None),
        (9, None),
        (0, None),
        (-1, None),
        (4.5, None),
        ("4.0", None),
        (True, None),
        (None, None),
        ([5], None),
        (float("nan"), None),
    ],
)
def test_rating_values(value, expected):
    assert rating_value(value) == expected


def test_ratings_count_valid_values_only():
    rows = _rows(
        _user(1),
        _slot(2, "satisfaction", "abc"),
        _slot(3, "satisfaction", 9),
        _slot(4, "satisfaction", "5"),
        _slot(5, "satisfaction", 4.0),
        _slot(6, "satisfaction", 2),
    )
    report = compute(rows)
    assert report.ratings == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert report.rating_count == 3
    assert report.mean_rating == pytest.approx(11 / 3)


def test_slots_carried_into_a_new_session_are_not_counted_again():
    rows = _rows(
        _user(1),
        _slot(2, "flow_outcome", "return_created"),
        _slot(3, "satisfaction", 5),
        _action(7000, "action_session_start"),
        _simple(7000, "session_started"),
        _slot(7000, "flow_outcome", "return_created"),
        _slot(7000, "satisfaction", 5),
        _action(7000, "action_listen"),
        _user(7001),
    )
    report = compute(rows)
    assert report.conversations == 2
    assert report.flows == {"return_created": 1}
    assert report.rating_count == 1


def test_flow_outcomes_without_value_are_ignored():
    rows = _rows(
        _user(1),
        _slot(2, "flow_outcome", None),
        _slot(3, "flow_outcome", "delivery_tracked"),
        _slot(4, "flow_outcome", "delivery_tracked"),
        _slot(5, "flow_outcome", ""),
    )
    assert compute(rows).flows == {"delivery_tracked": 2}


def test_conversation_day_and_channel_come_from_the_first_user_message():
    late = datetime(2026, 3, 9, 23, 59, 58, tzinfo=CHINA).timestamp() - T0
    rows = _rows(
        _simple(late, "session_started"),
        _user(late + 4, channel="wechat"),  # 00:00:02 on 10 March
        _user(late + 9, channel="rest"),
    )
    report = compute(rows)
    assert report.per_day == [
        DayFigures(
            day=date(2026, 3, 10),
            conversations=1,
            contained=1,
            handoffs=0,
            user_messages=2,
            fallback_messages=0,
            ratings=0,
        )
    ]
    assert report.channels == ["wechat"]
    assert compute(rows, Filters(channel="rest")).conversations == 0
    assert compute(rows, Filters(end=date(2026, 3, 9))).conversations == 0


def test_fallback_texts_blanked_or_empty_are_skipped_but_counted():
    rows = _rows(
        _user(1, "nlu_fallback", None),
        _user(2, "nlu_fallback", "   "),
        _user(3, "nlu_fallback", "b  b"),
        _user(4, "nlu_fallback", "a"),
        _user(5, "nlu_fallback", "b b"),
        _user(6, "nlu_fallback", "a"),
        _user(7, "greet", "你好"),
    )
    report = compute(rows)
    assert report.fallback_messages == 6
    assert report.fallback_rate == pytest.approx(6 / 7)
    assert report.top_fallbacks == [FallbackText("a", 2), FallbackText("b b", 2)]


def test_user_events_without_intent_count_as_messages_only():
    rows = _rows(
        _simple(1, "user", text="x", input_channel="rest"),
        _simple(2, "user", text="y", parse_data=None),
        _user(3),
    )
    report = compute(rows)
    assert report.user_messages == 3
    assert report.intents == {"greet": 1}
