"""The canned replies page: an agent's own, and the team-wide ones for supervisors."""

from __future__ import annotations

from aiohttp import web

from bot.console.auth import current_user
from bot.console.canned import VARIABLES
from bot.console.errors import ConsoleError
from bot.console.keys import WORKBENCH
from bot.console.pages import render_page
from bot.console.service import MAX_TEXT
from bot.console.workbench_views import form_or_json


async def canned_page(request: web.Request) -> web.Response:
    """My canned replies and the team's, with the forms to add them."""
    replies = await request.app[WORKBENCH].canned_for(current_user(request))
    return await render_page(
        request,
        "canned.html",
        personal=[reply for reply in replies if reply.owner is not None],
        team=[reply for reply in replies if reply.owner is None],
        variables=VARIABLES,
    )


async def add_canned(request: web.Request) -> web.StreamResponse:
    """Add a canned reply: personal, or team-wide (supervisors only)."""
    fields = await form_or_json(request)
    title = fields.get("title", "").strip()[:64]
    text = fields.get("text", "").strip()[:MAX_TEXT]
    if not title or not text:
        raise ConsoleError(400, "empty", "标题和内容都不能为空")
    team_wide = fields.get("scope") == "team"
    if team_wide and request.get("role") != "supervisor":
        raise ConsoleError(403, "forbidden", "只有主管可以添加全组共用的快捷回复")
    owner = None if team_wide else current_user(request)
    await request.app[WORKBENCH].add_canned(title, text, owner)
    raise web.HTTPSeeOther("/canned")


async def delete_canned(request: web.Request) -> web.StreamResponse:
    """Delete one of my canned replies (a supervisor: a team-wide one too)."""
    try:
        reply_id = int(request.match_info["reply_id"])
    except ValueError:
        raise web.HTTPNotFound() from None
    workbench = request.app[WORKBENCH]
    deleted = await workbench.delete_canned(reply_id, current_user(request))
    if not deleted and request.get("role") == "supervisor":
        deleted = await workbench.delete_canned(reply_id, None)
    if not deleted:
        raise ConsoleError(404, "not_found", "没有这条快捷回复，或不能删除")
    raise web.HTTPSeeOther("/canned")
