"""Shoppers' messages worth a person's look: the NLU's review queue.

A message is a candidate when, in its conversation's events:

- **fallback**: the NLU gave ``nlu_fallback`` (below the fallback
  classifier's threshold), or the dialogue ran ``action_default_fallback``
  before the next message;
- **low_confidence**: the top intent's confidence is below a setting
  (``REVIEW_CONFIDENCE``), though no fallback fired;
- **handoff**: ``action_handoff`` ran before the next message. When that
  message itself asked for a person (``human_handoff``), the message before
  it is flagged instead: that is the one the bot did not answer;
- **rephrase**: the shopper's next message, within two minutes, says nearly
  the same thing again (character-bigram overlap), or starts with a
  correction such as 不是 / 我是说.

Button payloads (``/intent{…}``) are never candidates: nobody typed them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bot.analytics.events import EventRow

FALLBACK_INTENT = "nlu_fallback"
HANDOFF_INTENT = "human_handoff"
ACTION_HANDOFF = "action_handoff"
ACTION_FALLBACK = "action_default_fallback"
REPHRASE_SECONDS = 120.0
REPHRASE_OVERLAP = 0.5
CORRECTION_STARTS = ("不是", "我是说", "我的意思是", "我说的是", "我问的是", "不对")

#: The reasons a message is listed, in the order the page shows them.
REASONS = ("fallback", "low_confidence", "handoff", "rephrase")


@dataclass
class Candidate:
    """A shopper's message to review, with what the NLU made of it.

    Attributes:
        sender_id: The conversation.
        timestamp: The user event's time (Unix seconds): with ``sender_id``
            the message's key.
        text: What the shopper wrote (not masked: callers mask for display).
        intent: The top intent the NLU gave (the one under ``nlu_fallback``
            when the fallback fired), or ``None``.
        confidence: Its confidence (0 when unknown).
        reasons: Why it is listed (a subset of :data:`REASONS`, in order).
    """

    sender_id: str
    timestamp: float
    text: str
    intent: str | None
    confidence: float
    reasons: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, float]:
        """``(sender_id, timestamp)``, how a label refers to the message."""
        return (self.sender_id, self.timestamp)


def top_intent(event: dict[str, Any]) -> tuple[str | None, float, bool]:
    """The top intent of a user event, its confidence, and whether it fell back.

    With ``nlu_fallback`` on top, the first other intent of the ranking is
    what the model thought (with its own confidence).
    """
    parse = event.get("parse_data")
    if not isinstance(parse, dict):
        return None, 0.0, False
    intent = parse.get("intent")
    name = intent.get("name") if isinstance(intent, dict) else None
    confidence = _number(intent.get("confidence")) if isinstance(intent, dict) else 0.0
    if name != FALLBACK_INTENT:
        return (name if isinstance(name, str) else None), confidence, False
    ranking = parse.get("intent_ranking")
    for item in ranking if isinstance(ranking, list) else []:
        if isinstance(item, dict) and item.get("name") not in (None, FALLBACK_INTENT):
            return str(item["name"]), _number(item.get("confidence")), True
    return None, 0.0, True


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else 0.0


def _bigrams(text: str) -> set[str]:
    compact = "".join(text.split())
    return {compact[i : i + 2] for i in range(len(compact) - 1)} or {compact}


def is_rephrase(first: str, second: str) -> bool:
    """Whether ``second`` says ``first`` again or corrects it."""
    if second.strip().startswith(CORRECTION_STARTS):
        return True
    one, two = _bigrams(first), _bigrams(second)
    if not one or not two:
        return False
    return len(one & two) / len(one | two) >= REPHRASE_OVERLAP


def _typed(event: dict[str, Any]) -> str | None:
    text = event.get("text")
    if not isinstance(text, str) or not text.strip() or text.startswith("/"):
        return None
    return text


def _by_sender(rows: Iterable[EventRow]) -> Iterator[list[EventRow]]:
    groups: dict[str, list[EventRow]] = {}
    for row in rows:
        groups.setdefault(row.sender_id, []).append(row)
    for group in groups.values():
        yield sorted(group, key=lambda row: row.timestamp)


def _turns(rows: list[EventRow]) -> list[tuple[EventRow, list[str]]]:
    """Each user event with the actions that ran before the next user event."""
    turns: list[tuple[EventRow, list[str]]] = []
    for row in rows:
        kind = row.event.get("event")
        if kind == "user":
            turns.append((row, []))
        elif kind == "action" and turns:
            name = row.event.get("name")
            if isinstance(name, str):
                turns[-1][1].append(name)
    return turns


def _conversation_candidates(rows: list[EventRow], threshold: float) -> list[Candidate]:
    turns = _turns(rows)
    found: dict[int, Candidate] = {}

    def flag(index: int, reason: str) -> None:
        row = turns[index][0]
        text = _typed(row.event)
        if text is None:
            return
        candidate = found.get(index)
        if candidate is None:
            intent, confidence, _ = top_intent(row.event)
            candidate = Candidate(
                row.sender_id, row.timestamp, text, intent, confidence
            )
            found[index] = candidate
        if reason not in candidate.reasons:
            candidate.reasons.append(reason)

    for index, (row, actions) in enumerate(turns):
        intent, confidence, fell_back = top_intent(row.event)
        if fell_back or ACTION_FALLBACK in actions:
            flag(index, "fallback")
        elif intent is not None and confidence < threshold:
            flag(index, "low_confidence")
        if ACTION_HANDOFF in actions:
            if intent == HANDOFF_INTENT and not fell_back:
                if index > 0:
                    flag(index - 1, "handoff")
            else:
                flag(index, "handoff")
        if index + 1 < len(turns):
            following = turns[index + 1][0]
            text, again = _typed(row.event), _typed(following.event)
            if (
                text is not None
                and again is not None
                and following.timestamp - row.timestamp <= REPHRASE_SECONDS
                and is_rephrase(text, again)
            ):
                flag(index, "rephrase")
    for candidate in found.values():
        candidate.reasons.sort(key=REASONS.index)
    return [found[index] for index in sorted(found)]


def review_candidates(rows: Iterable[EventRow], threshold: float) -> list[Candidate]:
    """The messages of ``rows`` worth reviewing, newest first.

    Args:
        rows: Conversation events (any number of senders, any order).
        threshold: Confidence below which a message counts as uncertain.
    """
    candidates: list[Candidate] = []
    for rows_of_one in _by_sender(rows):
        candidates.extend(_conversation_candidates(rows_of_one, threshold))
    return sorted(candidates, key=lambda item: item.timestamp, reverse=True)
