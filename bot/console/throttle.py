"""Failed staff logins are limited: a password cannot be guessed at speed.

Per username at most ``limit`` failures within ``window`` seconds, per client
address at most ``address_limit`` (higher: behind a reverse proxy every staff
member has the proxy's address, and one person's typos must not lock out the
team); beyond that every attempt (even with the right password) is refused
until the oldest failure leaves the window. Kept in the console process's
memory: with several console processes each counts on its own, so a deployment
also rate-limits ``/login`` at its reverse proxy.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """Sliding-window failure counts per key (``user:<name>``, ``ip:<address>``).

    Args:
        limit: Failures allowed within the window for a ``user:`` key.
        address_limit: The same for an ``ip:`` key.
        window: Seconds a failure counts.
        clock: Monotonic seconds (replaced in tests).
        max_keys: Keys remembered at most; the oldest go first (memory bound).
    """

    def __init__(
        self,
        limit: int = 5,
        window: float = 900.0,
        address_limit: int = 50,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.limit = limit
        self.address_limit = address_limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        failures = self._failures.get(key, deque())
        cutoff = self._clock() - self.window
        while failures and failures[0] <= cutoff:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def retry_after(self, keys: list[str]) -> float:
        """Seconds until an attempt is allowed for all ``keys`` (0: allowed now)."""
        wait = 0.0
        for key in keys:
            failures = self._recent(key)
            limit = self.address_limit if key.startswith("ip:") else self.limit
            if len(failures) >= limit:
                wait = max(wait, failures[0] + self.window - self._clock())
        return wait

    def failed(self, keys: list[str]) -> None:
        """Count a failed attempt against every key."""
        now = self._clock()
        for key in keys:
            self._failures.setdefault(key, deque()).append(now)
        while len(self._failures) > self._max_keys:
            self._failures.pop(next(iter(self._failures)))

    def succeeded(self, keys: list[str]) -> None:
        """Forget the failures of a user who got in (the address keeps its count)."""
        for key in keys:
            if key.startswith("user:"):
                self._failures.pop(key, None)


class RateLimiter:
    """At most ``limit`` events per key within ``window`` seconds (memory bound).

    Args:
        limit: Events allowed per key within the window.
        window: Seconds an event counts.
        clock: Monotonic seconds (replaced in tests).
        max_keys: Keys remembered at most; the oldest go first.
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._max_keys = max_keys
        self._events: dict[str, deque[float]] = {}

    def allow(self, key: str) -> bool:
        """Count an event for ``key`` if it is within the limit; whether it was."""
        now = self._clock()
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        while len(self._events) > self._max_keys:
            self._events.pop(next(iter(self._events)))
        return True
