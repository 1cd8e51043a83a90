"""Which team's queue a handoff waits in: by its reason, then the shopper's intents."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Team:
    """A team of agents and the handoffs routed to it.

    Attributes:
        id: Team id.
        name: Its Chinese name (``售前``, ``售后``, ``投诉``).
        reasons: Handoff reason codes routed here (``complaint``...).
        intents: Shopper intents routed here (``request_return``...).
        is_default: Handoffs no rule matches go here.
        members: The agents in the team.
    """

    id: int
    name: str
    reasons: tuple[str, ...]
    intents: tuple[str, ...]
    is_default: bool
    members: tuple[str, ...] = ()


def route(teams: Sequence[Team], reason: str, intents: Iterable[str]) -> int | None:
    """The team a handoff goes to.

    The reason decides first (a complaint goes to 投诉 whatever was asked
    before); then the shopper's intents, the latest first; then the default
    team (the first one marked default).

    Args:
        teams: Every team.
        reason: The handoff's reason code.
        intents: The shopper's intents, oldest first (``summary.intents``).

    Returns:
        The team's id, or ``None`` when there are no teams.
    """
    for team in teams:
        if reason in team.reasons:
            return team.id
    for intent in reversed(list(intents)):
        for team in teams:
            if intent in team.intents:
                return team.id
    for team in teams:
        if team.is_default:
            return team.id
    return teams[0].id if teams else None


def summary_intents(summary: Any) -> list[str]:
    """The intents listed in a handoff summary (``[]`` when malformed)."""
    if not isinstance(summary, dict):
        return []
    return [str(intent) for intent in summary.get("intents") or [] if intent]


def parse_codes(text: str) -> tuple[str, ...]:
    """Codes typed in a form (comma, 、 or space separated), without repeats."""
    for separator in ("，", "、", " ", "\n"):
        text = text.replace(separator, ",")
    seen: dict[str, None] = {}
    for code in text.split(","):
        code = code.strip()
        if code:
            seen.setdefault(code[:64], None)
    return tuple(seen)
