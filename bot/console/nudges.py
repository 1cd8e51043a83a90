"""Wake a conversation's live updates at once when this process sees it change.

Live updates read the transcript every ``CONSOLE_POLL_INTERVAL``; a web-chat
shopper's message, an agent's reply or a note passes through this process, so
its streams of that conversation are woken instead of waiting for the next
read. Other console processes still find the change at their next read.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager


class Nudges:
    """One event per open live-update stream, by conversation id."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = defaultdict(set)

    @contextmanager
    def listen(self, conversation_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever ``conversation_id`` changes, while open."""
        event = asyncio.Event()
        self._waiting[conversation_id].add(event)
        try:
            yield event
        finally:
            self._waiting[conversation_id].discard(event)
            if not self._waiting[conversation_id]:
                del self._waiting[conversation_id]

    def nudge(self, conversation_id: str) -> None:
        """``conversation_id`` changed: wake its streams."""
        for event in self._waiting.get(conversation_id, ()):
            event.set()

    def wake_all(self) -> None:
        """Wake every stream (the console is stopping)."""
        for events in self._waiting.values():
            for event in events:
                event.set()
