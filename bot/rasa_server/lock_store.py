"""A Redis lock store whose ticket changes are atomic across Rasa processes.

Rasa 3.6's ``RedisLockStore`` issues and removes tickets with a plain
read-modify-write (GET, change, SET). Two server processes handling messages of
one conversation at the same moment can then both receive the same ticket and
process the conversation concurrently; ``SQLTrackerStore`` saves only the events
beyond those already stored, so one of the two user messages is lost. Here every
change of a conversation's lock is atomic in Redis.

A turn takes the lock in one round trip and gives it back in one: a Lua script
(``EVALSHA``) issues the ticket and returns the lock, so a conversation nobody
else holds is served at once without reading it again, and another script
removes the served ticket and the lock with it when nobody waits. A Redis
transaction (WATCH, GET, MULTI/SET/EXEC, retried on conflict) and the extra GET
took seven round trips per turn, each blocking the worker's event loop
(benchmarks/README.md, "Production capacity: both workers from the first
connection"). The stored value is
Rasa's ``TicketLock`` JSON, so ``get_lock`` and Rasa's own code read it as before.

Configure it in ``endpoints.production.yml``::

    lock_store:
      type: bot.rasa_server.lock_store.AtomicRedisLockStore
      url: <redis host>
      port: 6379
      ...
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_server.lock_waits import PromptLockWaits

Result = TypeVar("Result")
Change = Callable[[TicketLock | None], tuple[TicketLock | None, Result]]

# Rasa's TicketLock.issue_ticket on the stored JSON: drop expired tickets (those
# whose ``expires`` is before now), append number = last + 1 (0 when none is
# left), store. Returns the stored JSON. Tickets are JSON strings inside the
# lock's JSON, as Rasa's ``dumps`` writes them. Time is the caller's clock, as
# with Rasa's own store. ARGV: now, lifetime, conversation id.
_ISSUE = """
local raw = redis.call('GET', KEYS[1])
local now = tonumber(ARGV[1])
local kept = {}
local last = -1
if raw then
  local lock = cjson.decode(raw)
  if type(lock.tickets) == 'table' then
    for _, text in ipairs(lock.tickets) do
      local ticket = cjson.decode(text)
      if not (now > ticket.expires) then
        table.insert(kept, text)
        last = ticket.number
      end
    end
  end
end
local number = last + 1
table.insert(kept, cjson.encode({number = number, expires = now + tonumber(ARGV[2])}))
local stored = cjson.encode({conversation_id = ARGV[3], tickets = kept})
redis.call('SET', KEYS[1], stored)
return stored
"""

# ``cleanup``: remove the served ticket (and expired ones); delete the lock when
# no ticket is left, else store the rest. ARGV: now, ticket number.
_CLEANUP = """
local raw = redis.call('GET', KEYS[1])
if not raw then
  return 0
end
local now = tonumber(ARGV[1])
local served = tonumber(ARGV[2])
local lock = cjson.decode(raw)
local kept = {}
if type(lock.tickets) == 'table' then
  for _, text in ipairs(lock.tickets) do
    local ticket = cjson.decode(text)
    if ticket.number ~= served and not (now > ticket.expires) then
      table.insert(kept, text)
    end
  end
end
if #kept == 0 then
  redis.call('DEL', KEYS[1])
  return 0
end
lock.tickets = kept
redis.call('SET', KEYS[1], cjson.encode(lock))
return #kept
"""


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
        self._issue_script = self.red.register_script(_ISSUE)
        self._cleanup_script = self.red.register_script(_CLEANUP)

    @contextlib.asynccontextmanager
    async def _hold(
        self, conversation_id: str, lock_lifetime: float, wait_time_in_seconds: float
    ) -> AsyncIterator[TicketLock]:
        """Rasa's ``LockStore.lock``, without reading a lock it just wrote.

        Args:
            conversation_id: The conversation.
            lock_lifetime: Seconds after which the ticket expires.
            wait_time_in_seconds: Passed on to ``_acquire_lock``.

        Yields:
            The conversation's lock, held.

        Raises:
            LockError: Redis failed, or the lock expired while waiting.
        """
        ticket, lock = self._issue(conversation_id, lock_lifetime)
        try:
            if lock.is_locked(ticket):
                lock = await self._acquire_lock(
                    conversation_id, ticket, wait_time_in_seconds
                )
            yield lock
        finally:
            self.cleanup(conversation_id, ticket)

    def _issue(
        self, conversation_id: str, lock_lifetime: float
    ) -> tuple[int, TicketLock]:
        """Issue a ticket in one round trip; return it and the lock as stored."""
        try:
            stored = self._issue_script(
                keys=[self.key_prefix + conversation_id],
                args=[repr(time.time()), repr(float(lock_lifetime)), conversation_id],
            )
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        lock = TicketLock.from_dict(json.loads(stored))
        return lock.tickets[-1].number, lock

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
        return self._issue(conversation_id, lock_lifetime)[0]

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
        self._cleanup_script(
            keys=[self.key_prefix + conversation_id],
            args=[repr(time.time()), int(ticket_number)],
        )
