"""A Redis lock store whose ticket changes are atomic across Rasa processes.

Rasa 3.6's ``RedisLockStore`` issues and removes tickets with a plain
read-modify-write (GET, change, SET). Two server processes handling messages of
one conversation at the same moment can then both receive the same ticket and
process the conversation concurrently; ``SQLTrackerStore`` saves only the events
beyond those already stored, so one of the two user messages is lost. Here every
change of a conversation's lock is one Redis transaction (WATCH/MULTI), retried
when another process changed the lock in between.

Configure it in ``endpoints.production.yml``::

    lock_store:
      type: bot.rasa_server.lock_store.AtomicRedisLockStore
      url: <redis host>
      port: 6379
      ...
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server.lock_waits import PromptLockWaits

Result = TypeVar("Result")
Change = Callable[[TicketLock | None], tuple[TicketLock | None, Result]]


class AtomicRedisLockStore(PromptLockWaits, RedisLockStore):
    """``RedisLockStore`` with atomic ticket issuing, finishing and clean-up.

    A message waiting for its conversation looks again within 10–100 ms, or at
    once when a turn in this process releases it (``bot.rasa_server.lock_waits``).

    Args:
        endpoint_config: The ``lock_store`` section of the endpoints file (Rasa
            passes only this to a lock store named by module path); ``url`` is
            the Redis host, the other keys are ``RedisLockStore``'s arguments.
        **kwargs: ``RedisLockStore`` arguments, when built directly.
    """

    def __init__(
        self, endpoint_config: EndpointConfig | None = None, **kwargs: Any
    ) -> None:
        if endpoint_config is not None:
            kwargs = {
                "host": endpoint_config.url or "localhost",
                **endpoint_config.kwargs,
                **kwargs,
            }
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change[Result]) -> Result:
        """Apply ``change`` to the stored lock in one transaction; retry on conflict.

        ``change`` gets the current lock (or ``None``) and returns the lock to
        store (``None`` deletes it) and a result to hand back.
        """
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    current = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new, result = change(current)
                    pipe.multi()
                    if new is None:
                        pipe.delete(key)
                    else:
                        pipe.set(key, new.dumps())
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue

    def issue_ticket(
        self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME
    ) -> int:
        """Issue the next ticket for the conversation, unique across processes."""

        def change(lock: TicketLock | None) -> tuple[TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._change(conversation_id, change)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        """Remove expired tickets (no write, and no transaction, when none has)."""
        lock = self.get_lock(conversation_id)
        if lock is None or not any(ticket.has_expired() for ticket in lock.tickets):
            return

        def change(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._change(conversation_id, change)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        """Remove a served ticket."""

        def change(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._change(conversation_id, change)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove a served ticket, and the lock when nobody else waits for it."""

        def change(lock: TicketLock | None) -> tuple[TicketLock | None, None]:
            if lock is None:
                return None, None
            lock.remove_ticket_for(ticket_number)
            return (lock if lock.is_someone_waiting() else None), None

        self._change(conversation_id, change)
