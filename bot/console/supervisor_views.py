"""The supervisor's page: live conversations, reassigning, teams and staff roles."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

from aiohttp import web
from sqlalchemy.exc import IntegrityError

from bot.console.assignment import PRESENCE_LABELS
from bot.console.auth import current_user
from bot.console.errors import ConsoleError
from bot.console.keys import DISPATCHER, FLOOR, SETTINGS, TIMERS, WORKBENCH
from bot.console.models import AGENT, SUPERVISOR
from bot.console.pages import render_page
from bot.console.queue_views import now, queue_item
from bot.console.repository import utcnow
from bot.console.routing import parse_codes
from bot.console.workbench_views import form_or_json

ROLE_LABELS = {AGENT: "客服", SUPERVISOR: "主管"}


async def _agents(request: web.Request) -> list[dict[str, Any]]:
    floor = request.app[FLOOR]
    settings = request.app[SETTINGS]
    seen_since = utcnow() - timedelta(seconds=settings.heartbeat_timeout)
    stored = {p.username: p for p in await floor.presences()}
    loads = await floor.open_counts()
    agents = []
    for username, role in await floor.staff():
        presence = stored.get(username)
        status = presence.status if presence is not None else "away"
        if presence is not None and presence.last_seen < seen_since:
            status = "away"  # no heartbeat: the page is closed
        agents.append(
            {
                "username": username,
                "role": role,
                "role_label": ROLE_LABELS.get(role, role),
                "status": status,
                "status_label": PRESENCE_LABELS[status],
                "open": loads.get(username, 0),
            }
        )
    return agents


async def supervisor_page(request: web.Request) -> web.Response:
    """Live conversations with their agent and team; agents; teams; staff."""
    floor = request.app[FLOOR]
    teams = await floor.teams()
    team_names = {team.id: team.name for team in teams}
    timers = request.app[TIMERS]
    live = timers.by_urgency(await floor.live())
    tags = await request.app[WORKBENCH].tags_of([h.id for h in live])
    moment = now()
    aware = moment.replace(tzinfo=timezone.utc)
    conversations = [
        {
            **queue_item(handoff, moment),
            "status": handoff.status,
            "team": team_names.get(handoff.team_id or 0, "未分组"),
            "tags": tags.get(handoff.id, []),
            "sla": timers.timer_json(handoff, aware),
        }
        for handoff in live
    ]
    return await render_page(
        request,
        "supervisor.html",
        conversations=conversations,
        agents=await _agents(request),
        teams=teams,
        canned=await request.app[WORKBENCH].team_canned(),
        max_chats=request.app[SETTINGS].max_chats,
        notice=request.query.get("notice"),
    )


async def save_team(request: web.Request) -> web.StreamResponse:
    """Create or change a team: name, routing rules, default, members."""
    fields = await form_or_json(request)
    name = fields.get("name", "").strip()[:32]
    if not name:
        raise ConsoleError(400, "bad_team", "组名不能为空")
    raw_id = fields.get("team_id", "").strip()
    staff = {username for username, _ in await request.app[FLOOR].staff()}
    members = parse_codes(fields.get("members", ""))
    unknown = [member for member in members if member not in staff]
    if unknown:
        raise ConsoleError(400, "bad_member", f"没有这些客服账号：{'、'.join(unknown)}")
    try:
        await request.app[FLOOR].save_team(
            int(raw_id) if raw_id.isdigit() else None,
            name,
            parse_codes(fields.get("reasons", "")),
            parse_codes(fields.get("intents", "")),
            fields.get("is_default") in ("on", "true", "1"),
            members,
        )
    except IntegrityError:
        raise ConsoleError(409, "duplicate_team", "已有同名的组") from None
    await request.app[DISPATCHER].assign_waiting()  # new members may take work
    raise web.HTTPSeeOther("/supervisor?notice=组已保存")


async def delete_team(request: web.Request) -> web.StreamResponse:
    """Remove a team (its waiting conversations go to any team's agents)."""
    try:
        team_id = int(request.match_info["team_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    await request.app[FLOOR].delete_team(team_id)
    raise web.HTTPSeeOther("/supervisor?notice=组已删除")


async def set_role(request: web.Request) -> web.StreamResponse:
    """Make an account an agent or a supervisor (not one's own)."""
    username = request.match_info["username"]
    role = (await form_or_json(request)).get("role", "")
    if role not in ROLE_LABELS:
        raise ConsoleError(400, "bad_role", "角色只能是客服或主管")
    if username == current_user(request):
        raise ConsoleError(409, "own_role", "不能修改自己的角色")
    if not await request.app[FLOOR].set_role(username, role):
        raise ConsoleError(404, "not_found", "没有这个账号")
    raise web.HTTPSeeOther("/supervisor?notice=角色已修改")
