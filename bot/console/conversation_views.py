"""One conversation: transcript, customer, live updates and the agent's actions."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import timezone
from typing import Any

from aiohttp import web

from bot.console.auth import current_user, sees_personal_data
from bot.console.config import CHINA
from bot.console.customer import customer_names, customer_panel
from bot.console.errors import ConsoleError
from bot.console.keys import FLOOR, NUDGES, SERVICE, TIMERS, WORKBENCH
from bot.console.labels import OUTCOME_LABELS
from bot.console.pages import handoff_id, render_page, wants_json
from bot.console.queue_views import now, queue_item
from bot.console.rasa import RasaError
from bot.console.repository import Handoff
from bot.console.service import (
    MAX_TEXT,
    ConsoleActionError,
    DeliveryError,
    TranscriptLine,
)
from bot.console.streams import open_stream, pause, send_event
from bot.console.timers import limits_json
from bot.console.transcript_pages import (
    MAX_PAGE_LINES,
    PAGE_LINES,
    last_page,
    page_before,
)
from bot.console.workbench import Note
from bot.platform.masking import mask_data

logger = logging.getLogger(__name__)
#: What a picture line says to staff who may not see the conversation unmasked.
HIDDEN_PICTURE = "[图片]（接入后可查看）"


def _shown(
    request: web.Request, handoff: Handoff, value: Any, names: tuple[str, ...] = ()
) -> Any:
    """``value`` as ``request``'s user may see it (the one place deciding)."""
    if sees_personal_data(request.get("user"), handoff.status, handoff.agent):
        return value
    return mask_data(value, names)


def _visible(
    request: web.Request, handoff: Handoff, line: TranscriptLine, names: tuple[str, ...]
) -> TranscriptLine:
    """A transcript line as ``request``'s user may see it.

    A picture may show what masking hides in text (a shipping label, a phone
    number): only who may read the conversation unmasked sees it.
    """
    if sees_personal_data(request.get("user"), handoff.status, handoff.agent):
        return line
    if line.image is not None:
        return replace(line, text=HIDDEN_PICTURE, image=None)
    return replace(line, text=mask_data(line.text, names))


async def _names_to_mask(request: web.Request, handoff: Handoff) -> tuple[str, ...]:
    """The customer's name if ``request``'s user sees the conversation masked."""
    if sees_personal_data(request.get("user"), handoff.status, handoff.agent):
        return ()
    return await customer_names(request, handoff.customer_id)


def _customer_names(customer: dict[str, Any]) -> tuple[str, ...]:
    name = (customer.get("customer") or {}).get("name")
    return (str(name),) if name else ()


async def conversation_page(request: web.Request) -> web.Response:
    """Transcript, summary, customer profile, orders, reply box."""
    service = request.app[SERVICE]
    handoff = await service.handoff(handoff_id(request))
    if handoff is None:
        raise web.HTTPNotFound()
    try:
        lines, count = await service.transcript(handoff)
        transcript_error = None
    except RasaError as error:
        logger.warning("transcript of %s: %s", handoff.conversation_id, error)
        lines, count, transcript_error = [], 0, "对话记录暂时读取不到（Rasa 无响应）"
    handoff = await request.app[TIMERS].refresh(handoff, lines)
    customer = await customer_panel(request, handoff.customer_id)
    names = _customer_names(customer)
    workbench = request.app[WORKBENCH]
    notes = await workbench.notes(handoff.id)
    floor = request.app[FLOOR]
    page, page_notes, earliest = last_page(lines, notes, PAGE_LINES)
    shown = [_visible(request, handoff, line, names) for line in page]
    return await render_page(
        request,
        "conversation.html",
        handoff=handoff,
        item=queue_item(handoff, now()),
        entries=merged(shown, page_notes),
        earliest=earliest,
        timers=_timers(request, handoff, lines),
        last_note=notes[-1].id if notes else 0,
        event_count=count,
        transcript_error=transcript_error,
        summary=_shown(request, handoff, handoff.summary, names),
        customer=_shown(request, handoff, customer, names),
        mine=handoff.status == "claimed" and handoff.agent == request.get("user"),
        tags=(await workbench.tags_of([handoff.id])).get(handoff.id, []),
        teams=await floor.teams(),
        staff=[name for name, _ in await floor.staff()],
        transfer_note=_shown(request, handoff, handoff.transfer_note or "", names),
        earlier=await _earlier(request, handoff),
    )


def _timers(
    request: web.Request, handoff: Handoff, lines: list[TranscriptLine]
) -> dict[str, Any]:
    """The service timer and WeChat's limits, for the page and its updates."""
    moment = now().replace(tzinfo=timezone.utc)
    return {
        "sla": request.app[TIMERS].timer_json(handoff, moment),
        "limits": limits_json(handoff, lines, moment),
    }


async def conversation_timers(request: web.Request) -> web.Response:
    """``GET /api/handoffs/{id}/timers``: the service timer and WeChat's limits."""
    service = request.app[SERVICE]
    handoff = await service.handoff(handoff_id(request))
    if handoff is None:
        raise ConsoleError(404, "not_found", "没有这个会话")
    try:
        lines, _ = await service.transcript(handoff)
    except RasaError:
        raise ConsoleError(
            502, "rasa_unavailable", "Rasa 服务器无响应，请稍后再试"
        ) from None
    handoff = await request.app[TIMERS].refresh(handoff, lines)
    return web.json_response(_timers(request, handoff, lines))


def _number(request: web.Request, name: str, default: int | None) -> int | None:
    raw = request.query.get(name, "").strip()
    if not raw:
        return default
    try:
        return max(0, int(raw))
    except ValueError:
        raise ConsoleError(400, "bad_cursor", f"{name} 应为数字") from None


async def transcript_page(request: web.Request) -> web.Response:
    """``GET /api/handoffs/{id}/transcript?before=&limit=``: earlier lines.

    ``before`` is the cursor the page or the previous answer gave (an event
    index); the answer's ``earliest`` is the next one (``null``: the start).
    """
    service = request.app[SERVICE]
    handoff = await service.handoff(handoff_id(request))
    if handoff is None:
        raise ConsoleError(404, "not_found", "没有这个会话")
    before = _number(request, "before", None)
    size = min(MAX_PAGE_LINES, _number(request, "limit", PAGE_LINES) or PAGE_LINES)
    try:
        lines, _ = await service.transcript(handoff)
    except RasaError:
        raise ConsoleError(
            502, "rasa_unavailable", "对话记录暂时读取不到（Rasa 无响应）"
        ) from None
    notes = await request.app[WORKBENCH].notes(handoff.id)
    page, page_notes, earliest = page_before(lines, notes, before, size)
    names = await _names_to_mask(request, handoff)
    page = [_visible(request, handoff, line, names) for line in page]
    entries = [
        {**entry, "text": _shown(request, handoff, entry["text"], names)}
        for entry in merged(page, page_notes)
    ]
    return web.json_response({"entries": entries, "earliest": earliest})


async def _earlier(request: web.Request, handoff: Handoff) -> list[dict[str, Any]]:
    """The customer's earlier conversations with their tags and outcome."""
    workbench = request.app[WORKBENCH]
    found = await workbench.earlier(handoff)
    tags = await workbench.tags_of([h.id for h in found])
    return [
        {
            "id": h.id,
            "date": h.created_at.replace(tzinfo=timezone.utc)
            .astimezone(CHINA)
            .strftime("%m-%d %H:%M"),
            "channel": queue_item(h, now())["channel"],
            "reason": queue_item(h, now())["reason"],
            "outcome": OUTCOME_LABELS.get(h.status, h.status),
            "agent": h.agent,
            "tags": tags.get(h.id, []),
        }
        for h in found
    ]


def merged(lines: list[TranscriptLine], notes: list[Note]) -> list[dict[str, Any]]:
    """Transcript lines and internal notes in time order (notes marked ``note``)."""
    entries = [(line.stamp, 0, {**line.as_json(), "note": False}) for line in lines] + [
        (
            note.created_at.replace(tzinfo=timezone.utc).timestamp(),
            1,
            note_json(note),
        )
        for note in notes
    ]
    return [entry for _, _, entry in sorted(entries, key=lambda e: (e[0], e[1]))]


def note_json(note: Note) -> dict[str, Any]:
    """An internal note as a transcript entry."""
    return {
        "id": note.id,
        "who": "note",
        "note": True,
        "agent": note.author,
        "text": note.text,
        "time": note.created_at.replace(tzinfo=timezone.utc)
        .astimezone(CHINA)
        .strftime("%H:%M"),
    }


async def conversation_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: new transcript lines and the conversation's status."""
    service = request.app[SERVICE]
    wanted = handoff_id(request)
    start = int(request.query.get("from", "0") or 0)
    last_note = int(request.query.get("note", "0") or 0)
    response = await open_stream(request)
    found = await service.handoff(wanted)
    if found is None:
        return response
    with request.app[NUDGES].listen(found.conversation_id) as woken:
        try:
            await _stream_updates(request, response, wanted, start, last_note, woken)
        except (ConnectionResetError, asyncio.CancelledError):
            pass
    return response


async def _stream_updates(
    request: web.Request,
    response: web.StreamResponse,
    wanted: int,
    start: int,
    last_note: int,
    woken: asyncio.Event,
) -> None:
    """Send what changed, then wait a poll interval or until woken."""
    service = request.app[SERVICE]
    status = None
    timers: dict[str, Any] | None = None
    names: tuple[str, ...] | None = None
    while True:
        handoff = await service.handoff(wanted)
        if handoff is None:
            return
        if handoff.status != status:
            status = handoff.status
            await send_event(response, "status", {"status": status})
        try:
            every, count = await service.transcript(handoff)
        except RasaError:
            every, count = [], start
        lines = [line for line in every if line.index >= start]
        if every:
            handoff = await request.app[TIMERS].refresh(handoff, every)
            current = _timers(request, handoff, every)
            if current != timers:
                timers = current
                await send_event(response, "timers", current)
        if lines:
            if names is None:  # once per stream: the customer does not change
                names = await customer_names(request, handoff.customer_id)
            await send_event(
                response,
                "lines",
                [_visible(request, handoff, line, names).as_json() for line in lines],
            )
        start = max(start, count)
        notes = await request.app[WORKBENCH].notes(handoff.id, last_note)
        if notes:  # staff only: this stream is behind the login
            last_note = notes[-1].id
            await send_event(
                response,
                "notes",
                [_shown(request, handoff, note_json(n)) for n in notes],
            )
        if not await pause(request, woken):
            return


async def _reply_text(request: web.Request) -> str:
    if request.content_type == "application/json":
        return str((await request.json()).get("text") or "")
    return str((await request.post()).get("text") or "")


async def _agent_action(request: web.Request, what: str) -> web.StreamResponse:
    service = request.app[SERVICE]
    wanted = handoff_id(request)
    user = current_user(request)
    text = ""
    try:
        if what == "reply":
            text = await _reply_text(request)
            await service.reply(wanted, user, text[:MAX_TEXT])
        elif what == "handback":
            await service.hand_back(wanted, user)
        else:
            await service.close(wanted, user)
    except ConsoleActionError as error:
        raise ConsoleError(409, "not_possible", str(error)) from None
    except DeliveryError as error:
        if what == "reply":  # kept in the transcript, marked as not delivered
            await request.app[WORKBENCH].add_note(
                wanted, user, f"【未送达】{text[:MAX_TEXT]}——{error}"
            )
        raise ConsoleError(502, "delivery_failed", str(error)) from None
    except RasaError:
        raise ConsoleError(
            502, "rasa_unavailable", "Rasa 服务器无响应，请稍后再试"
        ) from None
    handoff = await service.handoff(wanted)
    if handoff is not None:  # this process's pages of it show it at once
        request.app[NUDGES].nudge(handoff.conversation_id)
    if wants_json(request):
        return web.json_response({"ok": True})
    raise web.HTTPSeeOther(f"/conversations/{wanted}" if what == "reply" else "/queue")


async def reply(request: web.Request) -> web.StreamResponse:
    """Send the agent's reply to the shopper and record it."""
    return await _agent_action(request, "reply")


async def hand_back(request: web.Request) -> web.StreamResponse:
    """交还机器人: the bot answers again."""
    return await _agent_action(request, "handback")


async def close(request: web.Request) -> web.StreamResponse:
    """关闭: the human service is over."""
    return await _agent_action(request, "close")
