"""A console background job: one sweep every interval until the console stops."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


async def sweep_until(
    stopping: asyncio.Event,
    interval: float,
    sweep: Callable[[], Awaitable[object]],
    what: str,
) -> None:
    """Call ``sweep`` every ``interval`` seconds until ``stopping`` is set.

    Args:
        stopping: Set when the console shuts down.
        interval: Seconds between sweeps.
        sweep: The job; a failure is logged and the loop goes on.
        what: The job's name in the log (e.g. ``assignment``).
    """
    while not stopping.is_set():
        try:
            await sweep()
        except Exception:  # a database hiccup must not end the loop
            logger.exception("%s sweep failed", what)
        try:
            await asyncio.wait_for(stopping.wait(), timeout=interval)
        except asyncio.TimeoutError:
            pass
