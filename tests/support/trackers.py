"""Trackers for action tests (JSON fixtures) and helpers for tracker-store tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from rasa_sdk import Tracker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "trackers"


def load_tracker(name: str, text: str | None = None, **slots: Any) -> Tracker:
    """Build a tracker from ``<name>.json``, with slots set and the text replaced.

    Args:
        name: Fixture name without ``.json``.
        text: Replaces the latest user message's text, if given.
        **slots: Slot values to set on top of the fixture's, recorded as set
            during the latest turn (so a form's validation sees them as new).

    Returns:
        A rasa_sdk ``Tracker``.
    """
    state = json.loads((FIXTURES / f"{name}.json").read_text("utf-8"))
    state = copy.deepcopy(state)
    state["slots"].update(slots)
    state["events"].extend(
        {"event": "slot", "name": name, "value": value} for name, value in slots.items()
    )
    if text is not None:
        state["latest_message"]["text"] = text
        state["events"][-1]["text"] = text
    return Tracker.from_dict(state)


def responses(dispatcher: Any) -> list[str]:
    """The response names an action dispatched, in order."""
    return [message.get("response") for message in dispatcher.messages]


def message_kwargs(dispatcher: Any, response: str) -> dict[str, Any]:
    """The template values dispatched with one response."""
    for message in dispatcher.messages:
        if message.get("response") == response:
            return dict(message)
    raise AssertionError(f"{response} was not dispatched: {responses(dispatcher)}")


def slot_changes(events: list[dict[str, Any]]) -> dict[str, Any]:
    """Every event as ``{slot: value}``; fails if any is not a unique SlotSet.

    Form validation returns its SlotSet events in rasa_sdk's internal order;
    comparing this mapping still checks the whole list.
    """
    assert all(event["event"] == "slot" for event in events), events
    changes = {event["name"]: event["value"] for event in events}
    assert len(changes) == len(events), f"a slot is set twice: {events}"
    return changes


def resolved(outcome: str, *slots: str) -> list[Any]:
    """The events of a flow's final action that got the shopper an answer.

    Args:
        outcome: The ``flow_outcome`` the analytics count (e.g. ``return_created``).
        *slots: The flow's own slots, cleared.
    """
    from rasa_sdk.events import SlotSet

    from actions.common import flow_done

    return [SlotSet("flow_outcome", outcome), *flow_done(*slots)]


def stored_events(url: str, sender: str) -> list[dict[str, Any]]:
    """The events Rasa's SQL tracker store at ``url`` holds for ``sender``."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"),
                {"s": sender},
            ).all()
    finally:
        engine.dispose()
    return [json.loads(row.data) for row in rows]


class RecordingBroker:
    """An event broker that keeps what it is given (the publishing side is Rasa's)."""

    def __init__(self) -> None:
        self.published: list[dict[str, Any]] = []

    def publish(self, event: dict[str, Any]) -> None:
        self.published.append(event)
