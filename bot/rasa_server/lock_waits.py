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
are handled one after the other, in the order they arrived. Expired tickets are
cleared once a second while waiting, as Rasa does after each of its pauses.

The production profile's ``AtomicRedisLockStore`` takes ``PromptLockWaits`` as a
mixin. The embedded profile configures no lock store, so Rasa makes its
in-memory one and keeps ``rasa run`` at one Sanic worker (per-process locks
cannot order a conversation's messages across workers); the launcher's
``install_prompt_lock_waits`` makes that default ``PromptInMemoryLockStore``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore

#: Seconds before the first look again at a busy conversation's lock.
FIRST_PAUSE = 0.01
#: The longest pause between two looks.
LONGEST_PAUSE = 0.1
#: Seconds between two clearings of expired tickets while waiting.
EXPIRY_CHECK = 1.0


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
                to ``LONGEST_PAUSE`` (Rasa's callers do not pass it).

        Yields:
            The conversation's lock, held.
        """
        try:
            async with self._hold(
                conversation_id, lock_lifetime, wait_time_in_seconds
            ) as held:
                yield held
        finally:
            event = self._releases().pop(conversation_id, None)
            if event is not None:
                event.set()

    def _hold(
        self, conversation_id: str, lock_lifetime: float, wait_time_in_seconds: float
    ) -> contextlib.AbstractAsyncContextManager[TicketLock]:
        """Take and give back the conversation's lock: Rasa's ``LockStore.lock``.

        A store that can take the lock more cheaply overrides this
        (``AtomicRedisLockStore``).
        """
        return super().lock(conversation_id, lock_lifetime, wait_time_in_seconds)

    async def _acquire_lock(
        self, conversation_id: str, ticket: int, wait_time_in_seconds: float
    ) -> TicketLock:
        """Wait until ``ticket`` is served (Rasa's loop, with short pauses).

        Raises:
            LockError: The lock expired while waiting.
        """
        loop = asyncio.get_running_loop()
        pause = FIRST_PAUSE
        cleared = loop.time()
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            await self._released(conversation_id, pause)
            pause = min(2 * pause, LONGEST_PAUSE)
            if loop.time() - cleared >= EXPIRY_CHECK:
                self.update_lock(conversation_id)
                cleared = loop.time()
        raise LockError(f"Could not acquire lock for conversation '{conversation_id}'.")

    async def _released(self, conversation_id: str, pause: float) -> None:
        """Return when a turn here releases the conversation, or after ``pause``."""
        event = self._releases().setdefault(conversation_id, asyncio.Event())
        # Not ``asyncio.wait_for``: on Python 3.10 it swallows a cancellation
        # that arrives in the step the event is set, and the cancelled message
        # would still take its turn.
        waiter = asyncio.ensure_future(event.wait())
        try:
            await asyncio.wait({waiter}, timeout=pause)
        finally:
            waiter.cancel()


class PromptInMemoryLockStore(PromptLockWaits, InMemoryLockStore):
    """Rasa's in-memory lock store (one process), waiters woken at release.

    Made by Rasa where it would make its own once ``install_prompt_lock_waits``
    ran (the embedded profile configures no lock store); like Rasa's, it
    takes no arguments.
    """


def install_prompt_lock_waits() -> None:
    """Make Rasa's default lock store ``PromptInMemoryLockStore``.

    Rasa makes an ``InMemoryLockStore`` when the endpoints name none (``Agent``)
    or ``type: in_memory``; both now make this subclass. Rasa still counts it as
    in-memory, so ``rasa run`` stays at one Sanic worker with it.
    """
    import rasa.core.agent
    import rasa.core.lock_store

    rasa.core.agent.InMemoryLockStore = PromptInMemoryLockStore
    rasa.core.lock_store.InMemoryLockStore = PromptInMemoryLockStore
