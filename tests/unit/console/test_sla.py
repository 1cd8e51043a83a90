"""Service timers: deadlines in service hours, states, urgency (a fake clock)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.console.config import CHINA, ConfigurationError, ConsoleSettings, ServiceHours
from bot.console.sla import (
    FIRST,
    LATE,
    NEXT,
    OK,
    WARN,
    SlaLimits,
    activity,
    service_deadline,
    service_seconds,
    timer_for,
    urgency,
)

DAY = ServiceHours.parse("09:00-22:00")
NIGHT = ServiceHours.parse("20:00-02:00")
ALWAYS = ServiceHours.parse("00:00-24:00")


def china(hour: int, minute: int = 0, second: int = 0, day: int = 3) -> datetime:
    return datetime(2026, 12, day, hour, minute, second, tzinfo=CHINA)


def test_deadline_inside_service_hours_is_the_limit_later():
    start = china(10)
    assert service_deadline(DAY, start, 60) == start + timedelta(seconds=60)


def test_deadline_stops_at_closing_and_resumes_at_opening():
    # 30 s before closing: 30 s today, the other 30 s after 09:00 tomorrow
    start = china(21, 59, 30)
    assert service_deadline(DAY, start, 60) == china(9, 0, 30, day=4)


def test_a_handoff_after_hours_starts_counting_when_service_opens():
    assert service_deadline(DAY, china(23, 15), 120) == china(9, 2, day=4)
    assert service_deadline(DAY, china(6, 0), 60) == china(9, 1)


def test_hours_past_midnight_count_across_the_date_change():
    start = china(1, 59)  # open until 02:00, then from 20:00
    assert service_deadline(NIGHT, start, 120) == china(20, 1)
    assert service_deadline(NIGHT, china(23, 59), 120) == china(0, 1, day=4)


def test_always_open_has_no_gap_at_midnight():
    assert service_deadline(ALWAYS, china(23, 59, 30), 60) == china(0, 0, 30, day=4)


def test_naive_times_are_utc():
    naive = datetime(2026, 12, 3, 2, 0)  # 10:00 in China
    assert service_deadline(DAY, naive, 60) == china(10, 1)


def test_service_seconds_count_only_open_time():
    assert service_seconds(DAY, china(21, 59), china(9, 1, day=4)) == 120
    assert service_seconds(DAY, china(10), china(10, 5)) == 300
    assert service_seconds(DAY, china(22, 30), china(8, 0, day=4)) == 0


def test_first_response_timer_runs_from_the_handoff_until_the_first_reply():
    limits = SlaLimits(first=60, next=120)
    queued = china(10)
    timer = timer_for(
        DAY, limits, queued_at=queued, first_reply_at=None, awaiting_since=None
    )
    assert timer is not None and timer.kind == FIRST
    assert timer.state(queued + timedelta(seconds=44)) == OK
    assert timer.state(queued + timedelta(seconds=45)) == WARN  # 75 % used: amber
    assert timer.state(queued + timedelta(seconds=60)) == LATE  # red
    assert timer.as_json(queued)["deadline"] == int(
        (queued + timedelta(seconds=60)).timestamp() * 1000
    )


def test_next_response_timer_runs_from_the_shoppers_unanswered_message():
    limits = SlaLimits(first=60, next=120)
    asked = china(10, 5)
    timer = timer_for(
        DAY,
        limits,
        queued_at=china(10),
        first_reply_at=china(10, 1),
        awaiting_since=asked,
    )
    assert timer is not None and timer.kind == NEXT
    assert timer.deadline == asked + timedelta(seconds=120)
    assert timer.state(asked + timedelta(seconds=89)) == OK
    assert timer.state(asked + timedelta(seconds=91)) == WARN


def test_an_answered_conversation_has_no_timer_and_sorts_last():
    answered = timer_for(
        DAY,
        SlaLimits(),
        queued_at=china(10),
        first_reply_at=china(10, 1),
        awaiting_since=None,
    )
    assert answered is None
    soon = timer_for(
        DAY, SlaLimits(), queued_at=china(10), first_reply_at=None, awaiting_since=None
    )
    later = timer_for(
        DAY,
        SlaLimits(),
        queued_at=china(9, 30),
        first_reply_at=china(9, 31),
        awaiting_since=china(10, 0, 30),
    )
    assert sorted([answered, later, soon], key=urgency) == [soon, later, answered]


def test_activity_reads_replies_and_unanswered_messages_after_the_handoff():
    queued = china(10)
    at = lambda m, s=0: china(10, m, s).timestamp()  # noqa: E731
    lines = [
        ("shopper", at(0) - 30),  # before the handoff: not counted
        ("shopper", at(0, 10)),  # first timer still running
        ("agent", at(1)),
        ("shopper", at(2)),
        ("shopper", at(3)),
    ]
    seen = activity(lines, queued)
    assert seen.first_reply_at == china(10, 1)
    assert seen.awaiting_since == china(10, 2)  # the first unanswered one
    answered = activity([*lines, ("agent", at(4)), ("bot", at(5))], queued)
    assert answered.first_reply_at == china(10, 1)
    assert answered.awaiting_since is None
    assert activity([("shopper", at(1))], queued).first_reply_at is None


def test_limits_come_from_the_environment():
    settings = ConsoleSettings.from_env(
        {
            "CONSOLE_ENV": "development",
            "CONSOLE_SLA_FIRST": "5",
            "CONSOLE_SLA_NEXT": "8",
        }
    )
    assert (settings.sla_first, settings.sla_next) == (5, 8)
    defaults = ConsoleSettings.from_env({"CONSOLE_ENV": "development"})
    assert (defaults.sla_first, defaults.sla_next) == (60, 120)
    with pytest.raises(ConfigurationError):
        ConsoleSettings.from_env(
            {"CONSOLE_ENV": "development", "CONSOLE_SLA_FIRST": "0"}
        )


def test_times_are_returned_in_utc():
    deadline = service_deadline(DAY, china(10), 1)
    assert deadline.tzinfo == timezone.utc
