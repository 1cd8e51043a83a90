"""The agent's status in the header: 在线 / 忙碌 / 离开, and the page's heartbeat."""

from __future__ import annotations

from aiohttp import web

from bot.console.assignment import PRESENCE_LABELS
from bot.console.auth import current_user
from bot.console.errors import ConsoleError
from bot.console.keys import DISPATCHER
from bot.console.workbench_views import form_or_json


async def set_status(request: web.Request) -> web.Response:
    """``POST /api/presence``: the agent chose a status."""
    status = (await form_or_json(request)).get("status", "")
    if status not in PRESENCE_LABELS:
        raise ConsoleError(400, "bad_status", "状态只能是在线、忙碌或离开")
    await request.app[DISPATCHER].set_status(current_user(request), status)
    return web.json_response({"status": status, "label": PRESENCE_LABELS[status]})


async def heartbeat(request: web.Request) -> web.Response:
    """``POST /api/presence/heartbeat``: a console page is open.

    ``{"active": true}`` when the agent typed or clicked since the last one;
    idle past ``CONSOLE_AWAY_AFTER`` turns them 离开.
    """
    active = (await form_or_json(request)).get("active", "") in ("true", "True", "1")
    status = await request.app[DISPATCHER].heartbeat(current_user(request), active)
    return web.json_response({"status": status, "label": PRESENCE_LABELS[status]})
