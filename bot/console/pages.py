"""What the console's handlers share: rendering a page, reading a handoff id."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot.console.assignment import PRESENCE_LABELS
from bot.console.auth import ROLES_OF, csrf_token
from bot.console.keys import FLOOR, SETTINGS


def wants_json(request: web.Request) -> bool:
    """Whether the caller asked for JSON (``Accept: application/json``)."""
    return "application/json" in request.headers.get("Accept", "")


def handoff_id(request: web.Request) -> int:
    """The ``{handoff_id}`` of the path; 404 when it is not a number."""
    try:
        return int(request.match_info["handoff_id"])
    except ValueError:
        raise web.HTTPNotFound() from None


async def render_page(
    request: web.Request, template: str, **context: Any
) -> web.Response:
    """Render ``template`` with the user and the session's CSRF token."""
    session = await get_session(request)
    context.setdefault("user", request.get("user"))
    user = context["user"]
    if isinstance(user, str) and "roles" not in context and ROLES_OF in request.app:
        context["roles"] = await request.app[ROLES_OF](user)
    context["csrf_token"] = csrf_token(session)
    context.update(await header_context(request))
    return aiohttp_jinja2.render_template(template, request, context)


async def header_context(request: web.Request) -> dict[str, Any]:
    """What the header of every staff page shows: role and status."""
    user = request.get("user")
    context: dict[str, Any] = {
        "role": request.get("role"),
        "presence_labels": PRESENCE_LABELS,
        "presence": None,
        "heartbeat_ms": 20000,
    }
    if isinstance(user, str):
        stored = await request.app[FLOOR].presence(user)
        context["presence"] = stored.status if stored is not None else "away"
        # The page sends heartbeats three times per timeout.
        context["heartbeat_ms"] = int(
            request.app[SETTINGS].heartbeat_timeout * 1000 / 3
        )
    return context
