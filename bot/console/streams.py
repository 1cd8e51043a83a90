"""Server-sent events for the live queue and conversation views."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from bot.console.keys import SETTINGS, STOPPING


async def open_stream(request: web.Request) -> web.StreamResponse:
    """Start an event stream (headers sent: no other answer is possible after)."""
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    return response


async def send_event(response: web.StreamResponse, event: str, data: Any) -> None:
    """Send one event with ``data`` as JSON."""
    payload = json.dumps(data, ensure_ascii=False)
    await response.write(f"event: {event}\ndata: {payload}\n\n".encode())


async def pause(request: web.Request, woken: asyncio.Event | None = None) -> bool:
    """Wait one poll interval, or until ``woken`` is set; ``False`` when stopping.

    Args:
        request: The stream's request.
        woken: Set when the stream's conversation changed (``bot.console.nudges``);
            it is also set for every stream when the console stops.
    """
    stopping = request.app[STOPPING]
    if stopping.is_set():
        return False
    try:
        await asyncio.wait_for(
            (woken or stopping).wait(), timeout=request.app[SETTINGS].poll_interval
        )
    except asyncio.TimeoutError:
        pass
    if woken is not None:
        woken.clear()
    return not stopping.is_set()
