"""Working a conversation: internal notes, tags, transfers and canned replies."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.console.auth import current_user
from bot.console.canned import fill, variable_values
from bot.console.customer import customer_panel
from bot.console.errors import ConsoleError, read_json
from bot.console.keys import NUDGES, SERVICE, TRANSFERS, WORKBENCH
from bot.console.pages import handoff_id, wants_json
from bot.console.repository import Handoff
from bot.console.service import MAX_TEXT, ConsoleActionError
from bot.console.transfers import TransferTarget
from bot.console.workbench import MAX_TAG


async def form_or_json(request: web.Request) -> dict[str, str]:
    """The posted fields, from a form or a JSON object."""
    if request.content_type == "application/json":
        body = await read_json(request)
        if not isinstance(body, dict):
            raise ConsoleError(400, "invalid_body", "请求内容格式不对")
        return {key: str(value) for key, value in body.items() if value is not None}
    return {key: str(value) for key, value in (await request.post()).items()}


async def _handoff(request: web.Request) -> Handoff:
    handoff = await request.app[SERVICE].handoff(handoff_id(request))
    if handoff is None:
        raise ConsoleError(404, "not_found", "没有这个会话")
    return handoff


def _done(request: web.Request, handoff: Handoff, **body: Any) -> web.StreamResponse:
    if wants_json(request):
        return web.json_response({"ok": True, **body})
    raise web.HTTPSeeOther(f"/conversations/{handoff.id}")


def _may_work_on(request: web.Request, handoff: Handoff) -> None:
    """Notes and tags: the handling agent, or a supervisor."""
    user = current_user(request)
    if handoff.agent == user or request.get("role") == "supervisor":
        return
    raise ConsoleError(403, "not_yours", "只有处理这个会话的客服或主管可以操作")


async def add_note(request: web.Request) -> web.StreamResponse:
    """An internal note: kept in the console, never sent to the shopper."""
    handoff = await _handoff(request)
    _may_work_on(request, handoff)
    text = (await form_or_json(request)).get("text", "").strip()[:MAX_TEXT]
    if not text:
        raise ConsoleError(400, "empty", "备注不能为空")
    note = await request.app[WORKBENCH].add_note(
        handoff.id, current_user(request), text
    )
    request.app[NUDGES].nudge(handoff.conversation_id)
    return _done(request, handoff, note_id=note.id)


def _tag(fields: dict[str, str]) -> str:
    tag = fields.get("tag", "").strip().lstrip("#")
    if not tag or len(tag) > MAX_TAG:
        raise ConsoleError(400, "bad_tag", f"标签需为1到{MAX_TAG}个字")
    return tag


async def add_tag(request: web.Request) -> web.StreamResponse:
    """Tag the conversation."""
    handoff = await _handoff(request)
    _may_work_on(request, handoff)
    tag = _tag(await form_or_json(request))
    added = await request.app[WORKBENCH].add_tag(handoff.id, tag)
    return _done(request, handoff, added=added)


async def remove_tag(request: web.Request) -> web.StreamResponse:
    """Remove a tag from the conversation."""
    handoff = await _handoff(request)
    _may_work_on(request, handoff)
    tag = _tag(await form_or_json(request))
    removed = await request.app[WORKBENCH].remove_tag(handoff.id, tag)
    return _done(request, handoff, removed=removed)


def transfer_target(fields: dict[str, str]) -> TransferTarget:
    """The target chosen in a transfer form (``agent`` or ``team_id``)."""
    agent = fields.get("agent", "").strip() or None
    team = fields.get("team_id", "").strip()
    try:
        team_id = int(team) if team else None
    except ValueError:
        raise ConsoleError(400, "bad_team", "没有这个组") from None
    return TransferTarget(agent=agent, team_id=team_id)


async def transfer(request: web.Request) -> web.StreamResponse:
    """The handling agent (or a supervisor) transfers the conversation."""
    wanted = handoff_id(request)
    fields = await form_or_json(request)
    try:
        await request.app[TRANSFERS].transfer(
            wanted,
            current_user(request),
            transfer_target(fields),
            fields.get("note", ""),
            # Only the supervisor's route moves conversations of others.
            supervisor=request.path.startswith("/supervisor/"),
        )
    except ConsoleActionError as error:
        raise ConsoleError(409, "not_possible", str(error)) from None
    if wants_json(request):
        return web.json_response({"ok": True})
    if request.path.startswith("/supervisor/"):
        raise web.HTTPSeeOther("/supervisor?notice=已转接")
    raise web.HTTPSeeOther("/queue")


async def canned_search(request: web.Request) -> web.Response:
    """``GET /api/canned?q=``: the agent's and the team-wide canned replies."""
    found = await request.app[WORKBENCH].canned_for(
        current_user(request), request.query.get("q", "").strip()[:64]
    )
    return web.json_response(
        {
            "replies": [
                {
                    "id": reply.id,
                    "title": reply.title,
                    "text": reply.text,
                    "personal": reply.owner is not None,
                }
                for reply in found[:20]
            ]
        }
    )


async def canned_filled(request: web.Request) -> web.Response:
    """A canned reply with this conversation's values; what is still missing."""
    handoff = await _handoff(request)
    user = current_user(request)
    if handoff.agent != user:
        raise ConsoleError(403, "not_yours", "只有处理这个会话的客服可以使用快捷回复")
    try:
        reply_id = int(request.match_info["reply_id"])
    except ValueError:
        raise ConsoleError(404, "not_found", "没有这条快捷回复") from None
    reply = await request.app[WORKBENCH].canned(reply_id)
    if reply is None or reply.owner not in (None, user):
        raise ConsoleError(404, "not_found", "没有这条快捷回复")
    customer = await customer_panel(request, handoff.customer_id)
    values = variable_values(handoff.summary, customer, user)
    text, missing = fill(reply.text, values)
    return web.json_response({"text": text, "missing": missing})
