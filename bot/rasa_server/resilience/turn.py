"""What went wrong with the action server during one conversation turn."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ActionFailure:
    """One custom action the action server did not run.

    Attributes:
        action: The action's name (e.g. ``validate_loyalty_form``).
        intent: The shopper's latest intent when it failed (may be empty).
        error: What failed, for the log (never shown to the shopper).
    """

    action: str
    intent: str
    error: str


@dataclass
class TurnFailures:
    """Every action failure of the turn being handled (usually none)."""

    failures: list[ActionFailure] = field(default_factory=list)

    def __bool__(self) -> bool:
        """Whether any action failed."""
        return bool(self.failures)


# The turn a channel is handling. Rasa runs the turn's actions in the same task
# as the channel's on_new_message call, so they see the channel's record.
_current: ContextVar[TurnFailures | None] = ContextVar("turn_failures", default=None)


@contextmanager
def watch_turn() -> Iterator[TurnFailures]:
    """Record the action failures of the turn handled inside the ``with`` block.

    Yields:
        The record; empty when every action ran.
    """
    record = TurnFailures()
    token = _current.set(record)
    try:
        yield record
    finally:
        _current.reset(token)


def record_failure(failure: ActionFailure) -> None:
    """Add ``failure`` to the current turn's record (ignored outside a turn)."""
    record = _current.get()
    if record is not None:
        record.failures.append(failure)
