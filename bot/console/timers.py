"""Service timers of open conversations, kept current from their transcripts.

The console sees an agent's reply and a web-chat shopper's message as they
pass through it; a WeChat, 微信客服 or REST shopper writes to Rasa directly, so
each console process reads the transcripts of answered conversations every
``CONSOLE_ASSIGN_INTERVAL`` seconds (and whenever a page reads one) and stores
who is waiting (``bot.console.sla.activity``). The deadlines come from the
messages' own times, so the sweep's delay moves no deadline.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator
from datetime import datetime, timezone
from typing import Any

from bot.console.config import ConsoleSettings
from bot.console.floor import FloorRepository
from bot.console.models import CLAIMED, OPEN_STATES
from bot.console.rasa import RasaError
from bot.console.repository import Handoff
from bot.console.service import ConsoleService, TranscriptLine
from bot.console.sla import SlaLimits, Timer, activity, timer_for, urgency
from bot.console.sweeps import sweep_until
from bot.console.wechat_limits import send_limits

logger = logging.getLogger(__name__)


def _naive(moment: datetime | None) -> datetime | None:
    return (
        None if moment is None else moment.astimezone(timezone.utc).replace(tzinfo=None)
    )


class Timers:
    """Computes and refreshes the timers (``CONSOLE_SLA_FIRST`` / ``_NEXT``).

    Args:
        settings: Service hours, limits and the sweep interval.
        service: The repository and Rasa.
        floor: Which conversations are open.
    """

    def __init__(
        self, settings: ConsoleSettings, service: ConsoleService, floor: FloorRepository
    ) -> None:
        self.settings = settings
        self.service = service
        self.floor = floor
        self.limits = SlaLimits(settings.sla_first, settings.sla_next)

    def timer(self, handoff: Handoff) -> Timer | None:
        """The timer running for ``handoff`` (``None``: answered or not open)."""
        if handoff.status not in OPEN_STATES:
            return None
        return timer_for(
            self.settings.service_hours,
            self.limits,
            queued_at=handoff.created_at,
            first_reply_at=handoff.first_reply_at,
            awaiting_since=handoff.awaiting_since,
        )

    def timer_json(self, handoff: Handoff, now: datetime) -> dict[str, Any] | None:
        """The timer for a page or a live update."""
        found = self.timer(handoff)
        return found.as_json(now) if found is not None else None

    def by_urgency(self, handoffs: list[Handoff]) -> list[Handoff]:
        """The most urgent first (soonest deadline), answered ones last."""
        return sorted(handoffs, key=lambda h: (urgency(self.timer(h)), h.id))

    async def refresh(self, handoff: Handoff, lines: list[TranscriptLine]) -> Handoff:
        """Store what the full transcript ``lines`` add; the handoff as stored.

        Only what the console cannot see pass through it is taken from the
        transcript: a first reply not yet recorded, and the shopper writing
        after the last reply. A recorded time is kept (it was recorded as it
        happened); answering clears the wait (``ConsoleRepository.record_reply``).
        """
        if handoff.status not in OPEN_STATES:
            return handoff
        seen = activity([(line.who, line.stamp) for line in lines], handoff.created_at)
        first = handoff.first_reply_at or _naive(seen.first_reply_at)
        awaiting = handoff.awaiting_since or _naive(seen.awaiting_since)
        if (first, awaiting) == (handoff.first_reply_at, handoff.awaiting_since):
            return handoff  # nothing new: no write
        await self.service.repository.record_activity(handoff.id, first, awaiting)
        return await self.service.handoff(handoff.id) or handoff

    async def sweep(self) -> int:
        """Refresh answered conversations that do not pass through the console."""
        refreshed = 0
        for handoff in await self.floor.live():
            if (
                handoff.status != CLAIMED
                or handoff.first_reply_at is None
                or handoff.channel == "web"
            ):
                continue
            try:
                lines, _ = await self.service.transcript(handoff)
            except RasaError as error:
                logger.warning("timers: handoff %d: %s", handoff.id, error)
                continue
            await self.refresh(handoff, lines)
            refreshed += 1
        return refreshed

    async def run(self, stopping: asyncio.Event) -> None:
        """Sweep every ``assign_interval`` seconds until ``stopping`` is set."""
        await sweep_until(stopping, self.settings.assign_interval, self.sweep, "timer")


def limits_json(
    handoff: Handoff, lines: list[TranscriptLine], now: datetime
) -> dict[str, Any] | None:
    """WeChat's window and messages left for the page (``None``: no limits)."""
    found = send_limits(handoff.channel, [(line.who, line.stamp) for line in lines])
    return found.as_json(now) if found is not None else None


async def refreshing(timers: Timers) -> AsyncGenerator[None, None]:
    """Run :meth:`Timers.run` in the background while the app runs."""
    stopping = asyncio.Event()
    task = asyncio.create_task(timers.run(stopping))
    try:
        yield
    finally:
        stopping.set()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=10)
        except asyncio.TimeoutError:
            task.cancel()
