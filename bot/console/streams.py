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


async def pause(request: web.Request) -> bool:
    """Wait one poll interval; ``False`` when the console is stopping."""
    stopping = request.app[STOPPING]
    try:
        await asyncio.wait_for(
            stopping.wait(), timeout=request.app[SETTINGS].poll_interval
        )
    except asyncio.TimeoutError:
        return True
    return False
