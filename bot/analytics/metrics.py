"""Service figures from conversation events: volume, containment, handoffs, flows.

Definitions (the console shows them next to the figures):

- **Conversation**: the events of one ``sender_id``, split into sessions at
  ``session_started`` events. Only sessions with at least one ``user`` event
  count. Its day is the China-time (UTC+8) date of its first user event, its
  channel that event's ``input_channel``. Everything below is counted per
  conversation, so the date and channel filters select whole conversations.
- **Handoff**: the session has an ``action`` event ``action_handoff`` followed
  later in the session by a ``pause`` event (the bot paused: the conversation
  was queued for a person). A conversation counts at most one handoff, so
  handoffs ≤ conversations; a ``pause`` with no ``action_handoff`` before it
  (an agent took over by hand) is not a handoff.
- **Handoff reason**: the value of the latest non-empty ``handoff_reason``
  slot event before that pause (an action sets it before ``action_handoff``,
  which clears it); ``unknown`` if none.
- **Contained**: a conversation without a handoff.
- **User messages**: ``user`` events. **Fallback message**: a user event
  whose intent is ``nlu_fallback``. Fallback rate = fallback messages / user
  messages.
- **Top fallbacks**: the texts of fallback messages (texts blanked by the
  retention command are skipped), whitespace-normalised and masked
  (phones, names, addresses, ID numbers), most frequent first.
- **Intents**: user events by intent name.
- **Flows**: ``flow_outcome`` slot events with a value, by value
  (``delivery_tracked``, ``return_created``, ``warranty_registered``…).
- **First agent reply**: for each handoff, seconds from its ``pause`` event
  to the first later ``bot`` event of the session with ``metadata.agent``
  (a person's reply from the console); handoffs nobody answered are left out.
- **Satisfaction**: ``satisfaction`` slot events whose value is a whole
  number 1–5 (``5``, ``5.0`` or ``"5"``); anything else is ignored.
- Slot events before a session's first user event are not counted: they are
  the previous session's slots that Rasa carries over into a new session.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from bot.analytics.events import EventRow
from bot.platform.masking import mask_text

CHINA = timezone(timedelta(hours=8))  # days are China-time days

ACTION_HANDOFF = "action_handoff"
FALLBACK_INTENT = "nlu_fallback"
HANDOFF_REASON_SLOT = "handoff_reason"
FLOW_OUTCOME_SLOT = "flow_outcome"
SATISFACTION_SLOT = "satisfaction"
UNKNOWN_REASON = "unknown"
RATINGS = (1, 2, 3, 4, 5)


@dataclass(frozen=True)
class Filters:
    """Which conversations a report counts."""

    start: date | None = None  # inclusive, China-time day of the first user message
    end: date | None = None  # inclusive
    channel: str | None = None  # input_channel of the first user message

    def day_bounds(self) -> tuple[float | None, float | None]:
        """Unix seconds of ``start`` 00:00 and the day after ``end`` 00:00 (China)."""
        since = _midnight(self.start) if self.start else None
        until = _midnight(self.end + timedelta(days=1)) if self.end else None
        return since, until

    def matches_day(self, day: date) -> bool:
        """Tell whether ``day`` is in the date range."""
        return (self.start is None or day >= self.start) and (
            self.end is None or day <= self.end
        )


@dataclass(frozen=True)
class DayFigures:
    """The figures of the conversations that started on one day."""

    day: date
    conversations: int
    contained: int
    handoffs: int
    user_messages: int
    fallback_messages: int
    ratings: int


@dataclass(frozen=True)
class FallbackText:
    """A message the bot did not understand, and how often it came."""

    text: str  # masked with bot.platform.masking.mask_text, whitespace-normalised
    count: int


@dataclass
class Report:
    """The figures of the conversations :class:`Filters` selects."""

    filters: Filters
    conversations: int
    contained: int
    handoffs: int
    handoff_reasons: dict[str, int]
    user_messages: int
    fallback_messages: int
    intents: dict[str, int]
    flows: dict[str, int]
    first_agent_reply_seconds: list[float]
    ratings: dict[int, int]  # 1..5 -> count (all five keys present)
    per_day: list[DayFigures]  # every day in range that has conversations
    top_fallbacks: list[FallbackText]
    channels: list[str]  # of the date range, ignoring the channel filter, sorted

    @property
    def containment_rate(self) -> float | None:
        """Contained / conversations."""
        return _ratio(self.contained, self.conversations)

    @property
    def handoff_rate(self) -> float | None:
        """Handoffs / conversations."""
        return _ratio(self.handoffs, self.conversations)

    @property
    def fallback_rate(self) -> float | None:
        """Fallback messages / user messages."""
        return _ratio(self.fallback_messages, self.user_messages)

    @property
    def median_first_agent_reply_seconds(self) -> float | None:
        """Median seconds from a handoff to a person's first reply."""
        if not self.first_agent_reply_seconds:
            return None
        return float(statistics.median(self.first_agent_reply_seconds))

    @property
    def rating_count(self) -> int:
        """How many satisfaction ratings were given."""
        return sum(self.ratings.values())

    @property
    def mean_rating(self) -> float | None:
        """The mean satisfaction rating (1–5)."""
        count = self.rating_count
        if not count:
            return None
        return sum(score * n for score, n in self.ratings.items()) / count


@dataclass
class Conversation:
    """What one session contributes to a report."""

    sender_id: str
    day: date
    channel: str | None
    user_messages: int = 0
    fallback_messages: int = 0
    intents: Counter[str] = field(default_factory=Counter)
    flows: Counter[str] = field(default_factory=Counter)
    ratings: list[int] = field(default_factory=list)
    fallback_texts: list[str] = field(default_factory=list)
    handoff_reason: str | None = None  # set when the session was handed off
    first_agent_reply_seconds: float | None = None

    @property
    def handed_off(self) -> bool:
        """Tell whether the session went to a person."""
        return self.handoff_reason is not None


def _midnight(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=CHINA).timestamp()


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def china_day(timestamp: float) -> date:
    """The China-time date of a Unix time."""
    return datetime.fromtimestamp(timestamp, CHINA).date()


def rating_value(value: Any) -> int | None:
    """A satisfaction slot value as a rating 1–5, or ``None`` if it is none."""
    if isinstance(value, bool):
        return None
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdecimal():
        number = int(value.strip())
    return number if number in RATINGS else None


def normalise_text(text: str) -> str:
    """Collapse whitespace runs to one space, then mask personal data."""
    return mask_text(" ".join(text.split()))


def _intent_name(event: dict[str, Any]) -> str | None:
    parse_data = event.get("parse_data")
    if not isinstance(parse_data, dict):
        return None
    intent = parse_data.get("intent")
    name = intent.get("name") if isinstance(intent, dict) else None
    return str(name) if name else None


def _sessions(rows: Iterable[EventRow]) -> Iterator[list[EventRow]]:
    """Each sender's events (input order kept), split at ``session_started``."""
    by_sender: dict[str, list[EventRow]] = {}
    for row in rows:
        by_sender.setdefault(row.sender_id, []).append(row)
    for events in by_sender.values():
        session: list[EventRow] = []
        for row in events:
            if row.event.get("event") == "session_started" and session:
                yield session
                session = []
            session.append(row)
        if session:
            yield session


def conversation(session: list[EventRow]) -> Conversation | None:
    """What one session counts for, or ``None`` if it has no user message."""
    first_user = next(
        (i for i, row in enumerate(session) if row.event.get("event") == "user"), None
    )
    if first_user is None:
        return None
    opening = session[first_user]
    channel = opening.event.get("input_channel")
    result = Conversation(
        sender_id=opening.sender_id,
        day=china_day(opening.timestamp),
        channel=str(channel) if channel else None,
    )
    reason: str | None = None
    handoff_called = False
    paused_at: float | None = None
    for index, row in enumerate(session):
        event = row.event
        kind = event.get("event")
        if kind == "user":
            result.user_messages += 1
            intent = _intent_name(event)
            if intent:
                result.intents[intent] += 1
            if intent == FALLBACK_INTENT:
                result.fallback_messages += 1
                text = event.get("text")
                if isinstance(text, str) and text.strip():
                    result.fallback_texts.append(normalise_text(text))
        elif kind == "slot" and index > first_user:
            _count_slot(result, event)
            if event.get("name") == HANDOFF_REASON_SLOT and event.get("value"):
                reason = str(event["value"])
        elif kind == "action" and event.get("name") == ACTION_HANDOFF:
            handoff_called = True
        elif kind == "pause" and handoff_called and paused_at is None:
            paused_at = row.timestamp
            result.handoff_reason = reason or UNKNOWN_REASON
        elif kind == "bot" and paused_at is not None:
            metadata = event.get("metadata")
            agent = metadata.get("agent") if isinstance(metadata, dict) else None
            if agent and result.first_agent_reply_seconds is None:
                result.first_agent_reply_seconds = row.timestamp - paused_at
    return result


def _count_slot(result: Conversation, event: dict[str, Any]) -> None:
    name, value = event.get("name"), event.get("value")
    if name == FLOW_OUTCOME_SLOT and value is not None and value != "":
        result.flows[str(value)] += 1
    elif name == SATISFACTION_SLOT:
        rating = rating_value(value)
        if rating is not None:
            result.ratings.append(rating)


def conversations(rows: Iterable[EventRow]) -> list[Conversation]:
    """Every conversation (session with a user message) in ``rows``."""
    found = (conversation(session) for session in _sessions(rows))
    return [item for item in found if item is not None]


def _day_figures(day: date, items: list[Conversation]) -> DayFigures:
    handoffs = sum(item.handed_off for item in items)
    return DayFigures(
        day=day,
        conversations=len(items),
        contained=len(items) - handoffs,
        handoffs=handoffs,
        user_messages=sum(item.user_messages for item in items),
        fallback_messages=sum(item.fallback_messages for item in items),
        ratings=sum(len(item.ratings) for item in items),
    )


def report(
    items: Iterable[Conversation],
    filters: Filters = Filters(),
    *,
    top_fallbacks: int = 20,
) -> Report:
    """Add up conversations into a :class:`Report` (filters applied here)."""
    in_range = [item for item in items if filters.matches_day(item.day)]
    channels = sorted({item.channel for item in in_range if item.channel})
    selected = [
        item
        for item in in_range
        if filters.channel is None or item.channel == filters.channel
    ]
    reasons: Counter[str] = Counter()
    intents: Counter[str] = Counter()
    flows: Counter[str] = Counter()
    ratings: Counter[int] = Counter()
    texts: Counter[str] = Counter()
    days: dict[date, list[Conversation]] = {}
    for item in selected:
        if item.handoff_reason is not None:
            reasons[item.handoff_reason] += 1
        intents.update(item.intents)
        flows.update(item.flows)
        ratings.update(item.ratings)
        texts.update(item.fallback_texts)
        days.setdefault(item.day, []).append(item)
    handoffs = sum(reasons.values())
    ranked = sorted(texts.items(), key=lambda pair: (-pair[1], pair[0]))
    return Report(
        filters=filters,
        conversations=len(selected),
        contained=len(selected) - handoffs,
        handoffs=handoffs,
        handoff_reasons=dict(reasons),
        user_messages=sum(item.user_messages for item in selected),
        fallback_messages=sum(item.fallback_messages for item in selected),
        intents=dict(intents),
        flows=dict(flows),
        first_agent_reply_seconds=[
            item.first_agent_reply_seconds
            for item in selected
            if item.first_agent_reply_seconds is not None
        ],
        ratings={score: ratings[score] for score in RATINGS},
        per_day=[_day_figures(day, days[day]) for day in sorted(days)],
        top_fallbacks=[
            FallbackText(text=text, count=count)
            for text, count in ranked[: max(top_fallbacks, 0)]
        ],
        channels=channels,
    )


def compute(
    rows: Iterable[EventRow], filters: Filters = Filters(), *, top_fallbacks: int = 20
) -> Report:
    """The report of the conversations in ``rows`` that ``filters`` selects.

    Args:
        rows: Events, each sender's in stored order (e.g. from
            :func:`bot.analytics.events.load_events`).
        filters: Date range and channel of the conversations to count.
        top_fallbacks: How many of the most common fallback texts to list.

    Returns:
        The figures, as defined in this module's docstring.
    """
    return report(conversations(rows), filters, top_fallbacks=top_fallbacks)
