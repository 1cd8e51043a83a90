"""A seeded, realistic Rasa event history that records the figures it must give.

:func:`generate` writes conversations the way Rasa stores them (events made
with Rasa's own event classes, ``Event.as_dict()``) and, while it writes, notes
what each session should count for: its China-time day and channel (chosen
first, then turned into timestamps), its user and fallback messages, intents,
flow outcomes, valid ratings, whether and why it was handed off, and when an
agent first replied. :meth:`History.expected` adds those notes up into the
:class:`~bot.analytics.metrics.Report` that ``compute`` must return; it never
looks at the events.

What the history contains on purpose:

- senders on two channels (``rest``, ``wechat``), a few writing one message on
  the other channel (the conversation keeps its first channel);
- several sessions per sender over several days, sessions that start at 23:50
  and go on past midnight, a session whose ``session_started`` is just before
  midnight and whose first message is just after it;
- Rasa's session start: ``action_session_start``, ``session_started``, then
  every earlier slot event repeated (``carry_over_slots_to_new_session``);
- sessions with no user message (a session start and slots only);
- senders with no ``session_started`` at all (trackers from before sessions);
- handoffs with a reason slot, with none (``unknown``), with two reasons set
  (the latest counts), with an agent reply (sometimes after a plain bot
  message), without one, twice in one session; ``action_handoff`` without a
  pause (console down) and a pause without ``action_handoff``;
- fallbacks with repeated texts, messy whitespace, phone numbers (expected
  masked) and texts blanked by the retention command;
- ``flow_outcome`` slots (and empty ones), ``satisfaction`` slots with valid
  values (``4``, ``"5"``, ``3.0``) and junk (``"abc"``, ``9``, ``0``, ``4.5``,
  ``True``, ``None``).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from bot.analytics.events import EventRow
from bot.analytics.metrics import DayFigures, FallbackText, Filters, Report

CHINA = timezone(timedelta(hours=8))
BASE_DAY = date(2026, 3, 9)
DAYS = 4
CHANNELS = ("rest", "wechat")
AGENTS = ("agent01", "agent02")

#: Intent → what a shopper types.
INTENTS: dict[str, str] = {
    "greet": "你好",
    "track_delivery": "我的快递到哪了",
    "request_return": "我要退货",
    "check_warranty": "查一下保修",
    "check_points": "我有多少积分",
    "inform": "订单号XK202603090001",
    "thank": "谢谢",
    "goodbye": "再见",
}
#: What a shopper types that the bot does not understand → its expected
#: top-fallback form (whitespace-normalised, personal data masked).
FALLBACK_TEXTS: tuple[tuple[str, str], ...] = (
    ("我的手机13800138000收不到验证码", "我的手机138****8000收不到验证码"),
    ("电话 139 1234 5678 打不通", "电话 139****5678 打不通"),
    ("那个  东西\n怎么弄", "那个 东西 怎么弄"),
    (" 那个 东西　怎么弄 ", "那个 东西 怎么弄"),
    ("你们老板是谁", "你们老板是谁"),
    ("asdfgh", "asdfgh"),
    ("能便宜点吗", "能便宜点吗"),
)
FALLBACK_WEIGHTS = (3, 2, 2, 2, 4, 1, 3)
FLOWS = (
    "delivery_tracked",
    "return_created",
    "return_status_checked",
    "warranty_registered",
    "warranty_checked",
    "loyalty_checked",
)
REASONS = (
    "shopper_request",
    "complaint",
    "repeated_fallback",
    "repeated_failures",
    "backend_unavailable",
    "signed_not_received",
)
#: Satisfaction slot value → the rating it counts as (``None``: ignored).
RATING_VALUES: tuple[tuple[Any, int | None], ...] = (
    (1, 1),
    (2, 2),
    (3, 3),
    (4, 4),
    (5, 5),
    (5, 5),
    ("4", 4),
    ("5", 5),
    (3.0, 3),
    ("abc", None),
    (9, None),
    (0, None),
    (4.5, None),
    (True, None),
    (None, None),
)


@dataclass
class Truth:
    """What one session must count for, noted while it was generated."""

    sender_id: str
    day: date
    channel: str
    user_messages: int = 0
    fallback_messages: int = 0
    intents: Counter[str] = field(default_factory=Counter)
    flows: Counter[str] = field(default_factory=Counter)
    ratings: list[int] = field(default_factory=list)
    fallback_texts: Counter[str] = field(default_factory=Counter)
    handoff_reason: str | None = None
    reply_seconds: float | None = None
    crosses_midnight: bool = False
    paused_at: float | None = None  # the first handoff's pause


@dataclass
class History:
    """The generated events and the truth about them."""

    events: dict[str, list[dict[str, Any]]]  # sender_id → Rasa event dicts
    truths: list[Truth]  # one per counted session, in sender then time order
    notes: Counter[str]  # how often each special case was generated

    @property
    def rows(self) -> list[EventRow]:
        """Every event as the analytics read it, senders in sorted order."""
        return [
            EventRow(sender_id=sender, timestamp=float(event["timestamp"]), event=event)
            for sender in sorted(self.events)
            for event in self.events[sender]
        ]

    @property
    def event_count(self) -> int:
        """How many events there are."""
        return sum(len(events) for events in self.events.values())

    def selected(self, filters: Filters) -> list[Truth]:
        """The sessions ``filters`` selects."""
        return [
            truth
            for truth in self.truths
            if (filters.start is None or truth.day >= filters.start)
            and (filters.end is None or truth.day <= filters.end)
            and (filters.channel is None or truth.channel == filters.channel)
        ]

    def expected(
        self, filters: Filters | None = None, top_fallbacks: int = 20
    ) -> Report:
        """The report ``compute`` must return, added up from the notes."""
        filters = filters or Filters()
        in_range = self.selected(Filters(start=filters.start, end=filters.end))
        chosen = self.selected(filters)
        reasons: Counter[str] = Counter()
        intents: Counter[str] = Counter()
        flows: Counter[str] = Counter()
        ratings: Counter[int] = Counter()
        texts: Counter[str] = Counter()
        for truth in chosen:
            if truth.handoff_reason:
                reasons[truth.handoff_reason] += 1
            intents.update(truth.intents)
            flows.update(truth.flows)
            ratings.update(truth.ratings)
            texts.update(truth.fallback_texts)
        days = sorted({truth.day for truth in chosen})
        per_day = []
        for day in days:
            same = [truth for truth in chosen if truth.day == day]
            handoffs = sum(1 for truth in same if truth.handoff_reason)
            per_day.append(
                DayFigures(
                    day=day,
                    conversations=len(same),
                    contained=len(same) - handoffs,
                    handoffs=handoffs,
                    user_messages=sum(truth.user_messages for truth in same),
                    fallback_messages=sum(truth.fallback_messages for truth in same),
                    ratings=sum(len(truth.ratings) for truth in same),
                )
            )
        handoffs = sum(reasons.values())
        ranked = sorted(texts.items(), key=lambda pair: (-pair[1], pair[0]))
        return Report(
            filters=filters,
            conversations=len(chosen),
            contained=len(chosen) - handoffs,
            handoffs=handoffs,
            handoff_reasons=dict(reasons),
            user_messages=sum(truth.user_messages for truth in chosen),
            fallback_messages=sum(truth.fallback_messages for truth in chosen),
            intents=dict(intents),
            flows=dict(flows),
            first_agent_reply_seconds=[
                truth.reply_seconds
                for truth in chosen
                if truth.reply_seconds is not None
            ],
            ratings={score: ratings[score] for score in range(1, 6)},
            per_day=per_day,
            top_fallbacks=[
                FallbackText(text=text, count=count)
                for text, count in ranked[:top_fallbacks]
            ],
            channels=sorted({truth.channel for truth in in_range}),
        )


def china_time(day: date, at: time) -> float:
    """Unix time of ``day`` at ``at``, China time."""
    return datetime.combine(day, at, tzinfo=CHINA).timestamp()


class _Writer:
    """Writes one sender's events, keeping the clock and the slots set so far."""

    def __init__(self, sender_id: str, rng: random.Random) -> None:
        self.sender_id = sender_id
        self.rng = rng
        self.events: list[dict[str, Any]] = []
        self.slot_events: list[tuple[str, Any]] = []
        self.clock = 0.0

    def tick(self, low: float = 0.3, high: float = 20.0) -> float:
        self.clock += self.rng.uniform(low, high)
        return self.clock

    def add(self, event: Any) -> dict[str, Any]:
        data = event.as_dict()
        self.events.append(data)
        return data

    def action(self, name: str) -> None:
        from rasa.shared.core.events import ActionExecuted

        self.add(ActionExecuted(name, timestamp=self.tick()))

    def bot(self, text: str, agent: str | None = None) -> float:
        from rasa.shared.core.events import BotUttered

        metadata = {"agent": agent} if agent else {"utter_action": "utter_default"}
        self.add(BotUttered(text, metadata=metadata, timestamp=self.tick()))
        return self.clock

    def slot(self, name: str, value: Any) -> None:
        from rasa.shared.core.events import SlotSet

        self.add(SlotSet(name, value, timestamp=self.tick(0.01, 0.05)))
        self.slot_events.append((name, value))

    def pause(self) -> float:
        from rasa.shared.core.events import ConversationPaused

        self.add(ConversationPaused(timestamp=self.tick()))
        return self.clock

    def resume(self) -> None:
        from rasa.shared.core.events import ConversationResumed

        self.add(ConversationResumed(timestamp=self.tick()))

    def user(self, text: str | None, intent: str, channel: str) -> None:
        from rasa.shared.core.events import UserUttered

        self.add(
            UserUttered(
                text,
                intent={"name": intent, "confidence": round(self.rng.random(), 3)},
                input_channel=channel,
                timestamp=self.tick(),
            )
        )

    def session_start(self, at: float, *, carry_over: bool = True) -> None:
        """Rasa's ``action_session_start``: start event, carried slots, listen."""
        from rasa.shared.core.events import (
            ActionExecuted,
            SessionStarted,
            SlotSet,
        )

        self.clock = at
        self.add(ActionExecuted("action_session_start", timestamp=self.clock))
        self.add(SessionStarted(timestamp=self.clock))
        if carry_over:
            for name, value in list(self.slot_events):
                self.add(SlotSet(name, value, timestamp=self.clock))
        self.add(ActionExecuted("action_listen", timestamp=self.clock))


class _Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.notes: Counter[str] = Counter()
        self.truths: list[Truth] = []

    def turn(self, writer: _Writer, truth: Truth, channel: str) -> None:
        """A user message and the bot's answer (maybe a fallback, a flow)."""
        rng = self.rng
        if rng.random() < 0.22:
            text: str | None
            text, masked = rng.choices(FALLBACK_TEXTS, FALLBACK_WEIGHTS)[0]
            if rng.random() < 0.1:
                text = None  # blanked by the retention command
                self.notes["blanked_fallback"] += 1
            else:
                truth.fallback_texts[masked] += 1
            writer.user(text, "nlu_fallback", channel)
            truth.fallback_messages += 1
            truth.intents["nlu_fallback"] += 1
            writer.action("action_default_fallback")
            writer.bot("抱歉，我没听懂")
        else:
            intent = rng.choice(list(INTENTS))
            writer.user(INTENTS[intent], intent, channel)
            truth.intents[intent] += 1
            writer.action(f"utter_{intent}")
            writer.bot("好的")
            if rng.random() < 0.3:
                if rng.random() < 0.15:
                    writer.slot("flow_outcome", None)
                    self.notes["empty_flow_outcome"] += 1
                else:
                    flow = rng.choice(FLOWS)
                    writer.slot("flow_outcome", flow)
                    truth.flows[flow] += 1
        truth.user_messages += 1
        writer.action("action_listen")

    def message_channel(self, channel: str) -> str:
        if self.rng.random() < 0.05:
            self.notes["other_channel_message"] += 1
            return CHANNELS[1 - CHANNELS.index(channel)]
        return channel

    def handoff(self, writer: _Writer, truth: Truth, channel: str) -> None:
        """Reason slot(s), ``action_handoff``, pause, maybe an agent's reply."""
        rng = self.rng
        reason: str | None = None
        choice = rng.random()
        if choice < 0.55:
            reason = rng.choice(REASONS)
            writer.slot("handoff_reason", reason)
        elif choice < 0.7:
            writer.slot("handoff_reason", rng.choice(REASONS))
            reason = rng.choice(REASONS)
            writer.slot("handoff_reason", reason)
            self.notes["two_reasons"] += 1
        elif choice < 0.78:
            reason = rng.choice(REASONS)
            writer.slot("handoff_reason", reason)
            writer.slot("handoff_reason", None)  # cleared: the latest value counts
            self.notes["cleared_reason"] += 1
        else:
            self.notes["no_reason"] += 1
        writer.user("转人工", "human_handoff", channel)
        truth.user_messages += 1
        truth.intents["human_handoff"] += 1
        writer.action("action_handoff")
        writer.slot("handoff_reason", None)
        writer.bot("已为您转接人工客服")
        truth.paused_at = writer.pause()
        truth.handoff_reason = reason or "unknown"
        if rng.random() < 0.5:
            writer.user("人呢", "inform", channel)  # logged while paused
            truth.user_messages += 1
            truth.intents["inform"] += 1
        if rng.random() < 0.25:
            writer.bot("前面还有2位顾客")  # the bot, not a person
            self.notes["bot_before_agent"] += 1
        if rng.random() < 0.75:
            writer.clock += rng.uniform(5, 900)
            replied_at = writer.bot("您好，我是客服小王", agent=rng.choice(AGENTS))
            truth.reply_seconds = replied_at - truth.paused_at
            writer.bot("请问有什么可以帮您", agent=rng.choice(AGENTS))
            writer.resume()
        else:
            self.notes["no_agent_reply"] += 1

    def session(
        self, writer: _Writer, day: date, at: time, channel: str, *, start: bool
    ) -> None:
        """One session whose first user message is on ``day`` at ``at``."""
        rng = self.rng
        if at == time(0, 0):
            # session_started a few seconds before midnight, message just after.
            first_message = china_time(day, at) + 1.0
            opened = first_message - 5.0
        else:
            first_message = china_time(day, at) + rng.uniform(0, 30)
            opened = first_message - rng.uniform(3, 12)
        if start:
            writer.session_start(opened)
        else:
            writer.clock = opened
        truth = Truth(sender_id=writer.sender_id, day=day, channel=channel)
        writer.user(INTENTS["greet"], "greet", channel)
        writer.clock = first_message
        writer.events[-1]["timestamp"] = first_message
        truth.intents["greet"] += 1
        truth.user_messages += 1
        writer.action("utter_greet")
        writer.bot("您好，我是小客")
        writer.action("action_listen")
        if at >= time(23, 40):
            writer.clock += 20 * 60  # the rest of the session is after midnight
            truth.crosses_midnight = True
            self.notes["crosses_midnight"] += 1
        turns = rng.randint(0, 5)
        scenario = rng.random()
        handoff_turn = rng.randint(0, turns) if scenario < 0.35 else None
        for index in range(turns + 1):
            if index == handoff_turn:
                self.handoff(writer, truth, self.message_channel(channel))
                if rng.random() < 0.15:  # and a second one, later
                    self.notes["second_handoff"] += 1
                    writer.slot("handoff_reason", rng.choice(REASONS))
                    writer.user("还是要人工", "human_handoff", channel)
                    truth.user_messages += 1
                    truth.intents["human_handoff"] += 1
                    writer.action("action_handoff")
                    writer.pause()
                    replied_at = writer.bot("我是客服小李", agent=AGENTS[1])
                    if truth.reply_seconds is None and truth.paused_at is not None:
                        # The first person's reply after the first handoff.
                        truth.reply_seconds = replied_at - truth.paused_at
            if index < turns:
                self.turn(writer, truth, self.message_channel(channel))
        if handoff_turn is None and scenario < 0.45:
            # The console was down: action_handoff without a pause.
            writer.slot("handoff_reason", "backend_unavailable")
            writer.action("action_handoff")
            writer.slot("handoff_reason", None)
            writer.bot("人工客服暂时无法接入")
            self.notes["handoff_without_pause"] += 1
        elif handoff_turn is None and scenario < 0.55:
            # An agent took the conversation over by hand: a pause, no handoff.
            writer.pause()
            writer.bot("我来处理", agent=AGENTS[0])
            writer.resume()
            self.notes["pause_without_handoff"] += 1
        if rng.random() < 0.45:
            value, rating = rng.choice(RATING_VALUES)
            writer.slot("satisfaction", value)
            if rating is None:
                self.notes["junk_rating"] += 1
            else:
                truth.ratings.append(rating)
        self.truths.append(truth)

    def empty_session(self, writer: _Writer) -> None:
        """A session start with no user message (counts for nothing)."""
        writer.session_start(writer.clock + 3 * 3600)
        writer.slot("satisfaction", 5)
        writer.slot("flow_outcome", "return_created")
        writer.action("action_handoff")
        writer.pause()
        self.notes["empty_session"] += 1

    def sender(self, number: int) -> _Writer:
        rng = self.rng
        writer = _Writer(f"shopper-{number:04d}", rng)
        channel = CHANNELS[0] if rng.random() < 0.6 else CHANNELS[1]
        legacy = rng.random() < 0.08  # a tracker from before sessions existed
        if legacy:
            self.notes["no_session_started"] += 1
        day = BASE_DAY + timedelta(days=rng.randint(0, DAYS - 2))
        for index in range(rng.randint(1, 3)):
            kind = rng.random()
            if kind < 0.15:
                at = time(23, 50)
            elif kind < 0.25:
                at = time(0, 10)
            elif kind < 0.3:
                at = time(0, 0)
                self.notes["started_before_midnight"] += 1
            else:
                at = time(rng.randint(8, 21), rng.randint(0, 59))
            while china_time(day, at) < writer.clock + 2 * 3600:
                day += timedelta(days=1)
            self.session(writer, day, at, channel, start=not (legacy and index == 0))
            if rng.random() < 0.1:
                self.empty_session(writer)
            day += timedelta(days=rng.randint(0, 1))
        return writer


def generate(seed: int = 7, senders: int = 90) -> History:
    """A history of ``senders`` shoppers, the same for the same seed."""
    generator = _Generator(seed)
    events = {}
    for number in range(senders):
        writer = generator.sender(number)
        events[writer.sender_id] = writer.events
    return History(events=events, truths=generator.truths, notes=generator.notes)
