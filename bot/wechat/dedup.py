"""Per-message processing state and the last numbered menu, in memory or Redis.

WeChat retries a message it got no answer for within 5 seconds, up to three
times in all; the first request claims the message, retries read its outcome.
Several Rasa server processes need the shared Redis store.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Protocol


class StateStore(Protocol):
    """Small key-value store with expiry; ``claim`` is atomic."""

    async def claim(self, key: str, value: str, ttl: int) -> bool:
        """Set ``key`` to ``value`` only if absent; tell whether it was set."""

    async def get(self, key: str) -> str | None:
        """The value of ``key``, or ``None``."""

    async def put(self, key: str, value: str, ttl: int) -> None:
        """Set ``key`` to ``value`` for ``ttl`` seconds."""

    async def pop(self, key: str) -> str | None:
        """Read and delete ``key`` at once."""

    async def close(self) -> None:
        """Release connections."""


class MemoryStateStore:
    """The default store: one process, expired keys swept as it goes.

    Args:
        clock: Monotonic clock, for tests.
        sweep_every: Sweep expired keys after this many writes.
    """

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, sweep_every: int = 1000
    ) -> None:
        self._items: dict[str, tuple[str, float]] = {}
        self._clock = clock
        self._sweep_every = sweep_every
        self._writes = 0

    def _live(self, key: str) -> str | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[1] <= self._clock():
            del self._items[key]
            return None
        return item[0]

    def _write(self, key: str, value: str, ttl: int) -> None:
        self._items[key] = (value, self._clock() + ttl)
        self._writes += 1
        if self._writes % self._sweep_every == 0:
            now = self._clock()
            for stale in [k for k, (_, end) in self._items.items() if end <= now]:
                del self._items[stale]

    async def claim(self, key: str, value: str, ttl: int) -> bool:
        """Set ``key`` to ``value`` only if absent; tell whether it was set."""
        if self._live(key) is not None:
            return False
        self._write(key, value, ttl)
        return True

    async def get(self, key: str) -> str | None:
        """The value of ``key``, or ``None``."""
        return self._live(key)

    async def put(self, key: str, value: str, ttl: int) -> None:
        """Set ``key`` to ``value`` for ``ttl`` seconds."""
        self._write(key, value, ttl)

    async def pop(self, key: str) -> str | None:
        """Read and delete ``key`` at once."""
        value = self._live(key)
        self._items.pop(key, None)
        return value

    async def close(self) -> None:
        """Nothing to release."""

    def __len__(self) -> int:
        return len(self._items)


class RedisStateStore:
    """Shared store for several server processes (``REDIS_URL``).

    Args:
        url: A ``redis://`` URL.
        prefix: Prepended to every key.
        client: A ``redis.asyncio.Redis`` to use instead of connecting to ``url``.
    """

    def __init__(
        self, url: str, prefix: str = "xiaoke:wechat:", client: Any = None
    ) -> None:
        self._url = url
        self._prefix = prefix
        self._client = client

    def _redis(self) -> Any:
        if self._client is None:
            from redis import asyncio as redis_asyncio

            # Connecting is lazy: nothing happens until the first command.
            self._client = redis_asyncio.from_url(self._url, decode_responses=True)
        return self._client

    async def claim(self, key: str, value: str, ttl: int) -> bool:
        """Set ``key`` to ``value`` only if absent (``SET NX EX``)."""
        return bool(
            await self._redis().set(self._prefix + key, value, nx=True, ex=max(ttl, 1))
        )

    async def get(self, key: str) -> str | None:
        """The value of ``key``, or ``None``."""
        value = await self._redis().get(self._prefix + key)
        return None if value is None else str(value)

    async def put(self, key: str, value: str, ttl: int) -> None:
        """Set ``key`` to ``value`` for ``ttl`` seconds."""
        await self._redis().set(self._prefix + key, value, ex=max(ttl, 1))

    async def pop(self, key: str) -> str | None:
        """Read and delete ``key`` in one transaction."""
        async with self._redis().pipeline(transaction=True) as pipe:
            pipe.get(self._prefix + key)
            pipe.delete(self._prefix + key)
            value, _ = await pipe.execute()
        return None if value is None else str(value)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.close()
            self._client = None


def create_store(redis_url: str | None) -> StateStore:
    """Redis when ``REDIS_URL`` is set, memory otherwise."""
    if redis_url:
        return RedisStateStore(redis_url)
    return MemoryStateStore()
