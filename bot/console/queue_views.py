"""The queue: the page, its JSON and live updates, claiming a conversation."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from bot.console.auth import current_user
from bot.console.keys import FLOOR, SERVICE, TIMERS, WORKBENCH
from bot.console.labels import CHANNEL_LABELS, REASON_LABELS
from bot.console.pages import handoff_id, render_page, wants_json
from bot.console.repository import Handoff
from bot.console.streams import open_stream, pause, send_event
from bot.platform.masking import mask_text


def _waited(handoff: Handoff, now: datetime) -> str:
    minutes = int((now - handoff.created_at).total_seconds() // 60)
    if minutes < 1:
        return "不到1分钟"
    if minutes < 60:
        return f"{minutes}分钟"
    return f"{minutes // 60}小时{minutes % 60}分钟"


def now() -> datetime:
    """Now as naive UTC (how handoff times are stored)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def queue_item(handoff: Handoff, moment: datetime) -> dict[str, Any]:
    """One conversation as a line of the queue (personal data masked)."""
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "channel": CHANNEL_LABELS.get(handoff.channel, handoff.channel),
        "reason": REASON_LABELS.get(handoff.reason, handoff.reason),
        "waited": _waited(handoff, moment),
        "agent": handoff.agent,
        # A list view: masked for everyone (full text only in the conversation).
        "last_message": mask_text(str(handoff.summary.get("last_message") or "")),
    }


async def index(request: web.Request) -> web.StreamResponse:
    """The console starts at the queue."""
    raise web.HTTPSeeOther("/queue")


async def _queue_state(request: web.Request) -> dict[str, Any]:
    """The queue, most urgent first, each line with its team, tags and timer.

    ``?tag=`` keeps only conversations with that tag.
    """
    moment = now()
    timers = request.app[TIMERS]
    waiting, mine = await request.app[SERVICE].queue(current_user(request))
    waiting, mine = timers.by_urgency(waiting), timers.by_urgency(mine)
    aware = moment.replace(tzinfo=timezone.utc)
    teams = {team.id: team.name for team in await request.app[FLOOR].teams()}
    tags = await request.app[WORKBENCH].tags_of([h.id for h in waiting + mine])
    wanted = request.query.get("tag", "").strip()

    def items(handoffs: list[Handoff]) -> list[dict[str, Any]]:
        return [
            {
                **queue_item(handoff, moment),
                "team": teams.get(handoff.team_id or 0, "未分组"),
                "tags": tags.get(handoff.id, []),
                "sla": timers.timer_json(handoff, aware),
            }
            for handoff in handoffs
            if not wanted or wanted in tags.get(handoff.id, [])
        ]

    return {"waiting": items(waiting), "mine": items(mine)}


async def queue_page(request: web.Request) -> web.Response:
    """Waiting conversations, oldest first, and the agent's own."""
    state = await _queue_state(request)
    notice = "这个会话已被其他客服接入" if request.query.get("taken") else None
    tag = request.query.get("tag", "").strip()
    return await render_page(request, "queue.html", notice=notice, tag=tag, **state)


async def queue_json(request: web.Request) -> web.Response:
    """The queue as JSON."""
    return web.json_response(await _queue_state(request))


async def queue_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the queue whenever it changes."""
    response = await open_stream(request)
    last = None
    try:
        while True:
            state = await _queue_state(request)
            if state != last:
                await send_event(response, "queue", state)
                last = state
            if not await pause(request):
                break
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def claim(request: web.Request) -> web.StreamResponse:
    """Claim a waiting conversation (only one agent can)."""
    wanted = handoff_id(request)
    claimed = await request.app[SERVICE].claim(wanted, current_user(request))
    if wants_json(request):
        return web.json_response({"claimed": claimed}, status=200 if claimed else 409)
    if not claimed:
        raise web.HTTPSeeOther("/queue?taken=1")
    raise web.HTTPSeeOther(f"/conversations/{wanted}")
