"""Service timers (SLA): first and next response, counted in service hours.

Pure functions, no I/O: the clock is an argument, so tests pass a fake one.
A timer starts when the shopper starts waiting (the handoff was queued, or the
shopper wrote after the agent's last reply) and runs only while service is
open (``CONSOLE_SERVICE_HOURS``); its deadline is the wall-clock moment the
limit is used up, so a page can count down to it without asking again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from bot.console.config import CHINA, ServiceHours

#: Share of the limit after which a timer turns amber.
WARN_FRACTION = 0.75
#: Timer states, from calm to late.
OK, WARN, LATE = "ok", "warn", "late"
FIRST, NEXT = "first", "next"
LABELS = {FIRST: "首次响应", NEXT: "再次响应"}
#: How far ahead a deadline is looked for (service closed for longer: none).
_HORIZON_DAYS = 14


@dataclass(frozen=True)
class SlaLimits:
    """``CONSOLE_SLA_FIRST`` and ``CONSOLE_SLA_NEXT``, in seconds of service."""

    first: float = 60.0
    next: float = 120.0


@dataclass(frozen=True)
class Timer:
    """One running service timer.

    Attributes:
        kind: ``first`` (no agent reply yet) or ``next`` (the shopper wrote
            after the last reply).
        started: When the shopper started waiting (aware UTC).
        warn_at: When it turns amber.
        deadline: When it turns red.
    """

    kind: str
    started: datetime
    warn_at: datetime
    deadline: datetime

    def state(self, now: datetime) -> str:
        """``ok``, ``warn`` (amber) or ``late`` (red) at ``now``."""
        if now >= self.deadline:
            return LATE
        if now >= self.warn_at:
            return WARN
        return OK

    def as_json(self, now: datetime) -> dict[str, Any]:
        """For pages and scripts: epoch milliseconds the browser counts down to."""
        return {
            "kind": self.kind,
            "label": LABELS[self.kind],
            "warn_at": int(self.warn_at.timestamp() * 1000),
            "deadline": int(self.deadline.timestamp() * 1000),
            "state": self.state(now),
        }


def _aware(moment: datetime) -> datetime:
    """Naive values are UTC (how the console's tables keep time)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _spans(hours: ServiceHours, day: date) -> Iterator[tuple[datetime, datetime]]:
    """The open periods of one China day, in order."""
    midnight = datetime.combine(day, time(0), CHINA)
    following = midnight + timedelta(days=1)

    def at(moment: time) -> datetime:
        return datetime.combine(day, moment, CHINA)

    if hours.start == time(0) and hours.end == time(23, 59):  # 00:00-24:00
        yield midnight, following
    elif hours.start <= hours.end:
        yield at(hours.start), at(hours.end)
    else:  # past midnight, e.g. 20:00-02:00
        yield midnight, at(hours.end)
        yield at(hours.start), following


def service_deadline(hours: ServiceHours, start: datetime, seconds: float) -> datetime:
    """The moment ``seconds`` of service time have passed since ``start``.

    Args:
        hours: When agents work.
        start: When the clock starts (naive values are UTC).
        seconds: Service seconds allowed.

    Returns:
        An aware UTC moment; far in the future when service stays closed.
    """
    begin = _aware(start)
    left = timedelta(seconds=seconds)
    first_day = begin.astimezone(CHINA).date() - timedelta(days=1)
    for offset in range(_HORIZON_DAYS):
        for opens, closes in _spans(hours, first_day + timedelta(days=offset)):
            opens = max(opens, begin)
            if opens >= closes:
                continue
            if left <= closes - opens:
                return (opens + left).astimezone(timezone.utc)
            left -= closes - opens
    return (begin + timedelta(days=_HORIZON_DAYS)).astimezone(timezone.utc)


def service_seconds(hours: ServiceHours, start: datetime, end: datetime) -> float:
    """Seconds of service time between ``start`` and ``end``."""
    begin, finish = _aware(start), _aware(end)
    total = 0.0
    day = begin.astimezone(CHINA).date() - timedelta(days=1)
    while datetime.combine(day, time(0), CHINA) < finish:
        for opens, closes in _spans(hours, day):
            overlap = min(closes, finish) - max(opens, begin)
            total += max(0.0, overlap.total_seconds())
        day += timedelta(days=1)
    return total


def timer_for(
    hours: ServiceHours,
    limits: SlaLimits,
    *,
    queued_at: datetime,
    first_reply_at: datetime | None,
    awaiting_since: datetime | None,
) -> Timer | None:
    """The timer running for an open conversation, or ``None`` (answered).

    Args:
        hours: When agents work.
        limits: The limits in service seconds.
        queued_at: When the conversation was handed to people.
        first_reply_at: The first agent reply, if any.
        awaiting_since: The shopper's first message after the last agent
            reply (``None``: the shopper is not waiting for an answer).
    """
    if first_reply_at is None:
        kind, start, limit = FIRST, queued_at, limits.first
    elif awaiting_since is not None:
        kind, start, limit = NEXT, awaiting_since, limits.next
    else:
        return None
    return Timer(
        kind=kind,
        started=_aware(start),
        warn_at=service_deadline(hours, start, limit * WARN_FRACTION),
        deadline=service_deadline(hours, start, limit),
    )


def urgency(timer: Timer | None) -> tuple[int, float]:
    """Sort key: running timers by deadline (soonest first), answered last."""
    if timer is None:
        return (1, 0.0)
    return (0, timer.deadline.timestamp())


@dataclass(frozen=True)
class Activity:
    """Who spoke last since the handoff, as the timers need it.

    Attributes:
        first_reply_at: The first agent reply after the handoff (aware UTC).
        awaiting_since: The shopper's first message after the last agent
            reply, when they are waiting for an answer.
    """

    first_reply_at: datetime | None
    awaiting_since: datetime | None


def activity(lines: list[tuple[str, float]], queued_at: datetime) -> Activity:
    """Read a transcript's ``(who, unix time)`` lines since ``queued_at``.

    Args:
        lines: Transcript lines in order (``shopper``, ``agent``, ``bot`` …).
        queued_at: When the conversation was handed to people.
    """
    since = _aware(queued_at).timestamp()
    first_reply: float | None = None
    awaiting: float | None = None
    for who, stamp in lines:
        if stamp < since:
            continue
        if who == "agent":
            first_reply = stamp if first_reply is None else first_reply
            awaiting = None
        elif who == "shopper" and awaiting is None and first_reply is not None:
            awaiting = stamp

    def moment(stamp: float | None) -> datetime | None:
        return None if stamp is None else datetime.fromtimestamp(stamp, timezone.utc)

    return Activity(moment(first_reply), moment(awaiting))
