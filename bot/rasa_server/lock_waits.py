"""Waiting for a busy conversation: woken when it is free, not a second later.

Rasa 3.6 handles one message of a conversation at a time (its lock store hands
out tickets); a message whose conversation is busy sleeps one whole second
between looks at the lock. Shoppers often write two or three short messages in
a row (在吗 / 我的快递到哪了 / the order number): the second one's answer came
about a second after the first turn had ended (1,030 ms instead of ≈ 50 ms,
benchmarks/README.md, "Messages sent in a row").

Here a waiting message is woken as soon as a turn in the same process releases
the conversation, and otherwise looks again after 10 ms, the pause doubling to
at most 100 ms (the turn runs in another Sanic worker or host: the Redis lock
store of the production profile). Tickets still decide the order: the messages
are handled one after the other, in the order they arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

#: Seconds before the first look again at a busy conversation's lock.
FIRST_PAUSE = 0.01
#: The longest pause between two looks.
LONGEST_PAUSE = 0.1


class PromptLockWaits(LockStore):
    """A lock store mixin: waiters woken at release, else polled 10 → 100 ms.

    Put it before the lock store class: ``class X(PromptLockWaits, RedisLockStore)``.
    """

    def _releases(self) -> dict[str, asyncio.Event]:
        # One event per conversation with a waiter in this process, set (and
        # dropped) when a turn here releases that conversation.
        releases: dict[str, asyncio.Event] | None = getattr(
            self, "_xiaoke_releases", None
        )
        if releases is None:
            releases = {}
            self._xiaoke_releases = releases
        return releases

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = LONGEST_PAUSE,
    ) -> AsyncIterator[TicketLock]:
        """Rasa's ``lock``; on leaving, the conversation's waiters here wake up.

        Args:
            conversation_id: The conversation.
            lock_lifetime: Seconds after which a ticket expires.
            wait_time_in_seconds: Ignored: the pauses are ``FIRST_PAUSE`` doubling
                to ``LONGEST_PAUSE`` (Rasa passes its default of 1 s).

        Yields:
            The conversation's lock, held.
        """
        try:
            async with super().lock(
                conversation_id, lock_lifetime, wait_time_in_seconds
            ) as held:
                yield held
        finally:
            event = self._releases().pop(conversation_id, None)
            if event is not None:
                event.set()

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        """Wait until ``ticket`` is served (Rasa's loop, with short pauses).

        Raises:
            LockError: The lock expired while waiting.
        """
        pause = FIRST_PAUSE
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            await self._released(conversation_id, pause)
            pause = min(2 * pause, LONGEST_PAUSE)
            self.update_lock(conversation_id)
        raise LockError(f"Could not acquire lock for conversation '{conversation_id}'.")

    async def _released(self, conversation_id: str, pause: float) -> None:
        """Return when a turn here releases the conversation, or after ``pause``."""
        event = self._releases().setdefault(conversation_id, asyncio.Event())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(event.wait(), pause)


class PromptInMemoryLockStore(PromptLockWaits, InMemoryLockStore):
    """Rasa's in-memory lock store (one process), waiters woken at release.

    Configure it in ``endpoints.yml``::

        lock_store:
          type: bot.rasa_server.lock_waits.PromptInMemoryLockStore

    Args:
        endpoint_config: The ``lock_store`` section (Rasa passes it; unused).
        **kwargs: Ignored, as Rasa's in-memory store takes no arguments.
    """

    def __init__(
        self, endpoint_config: EndpointConfig | None = None, **kwargs: Any
    ) -> None:
        super().__init__()
