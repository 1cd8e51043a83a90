"""One conversation: transcript, customer, live updates and the agent's actions."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Any

from aiohttp import web

from actions.clients.errors import BackendError
from bot.console.auth import current_user, sees_personal_data
from bot.console.errors import ConsoleError
from bot.console.keys import CRM, ORDERS, SERVICE
from bot.console.pages import handoff_id, render_page, wants_json
from bot.console.queue_views import now, queue_item
from bot.console.rasa import RasaError
from bot.console.repository import Handoff
from bot.console.service import MAX_TEXT, ConsoleActionError, DeliveryError
from bot.console.streams import open_stream, pause, send_event
from bot.platform.masking import mask_data

logger = logging.getLogger(__name__)


def _shown(
    request: web.Request, handoff: Handoff, value: Any, names: tuple[str, ...] = ()
) -> Any:
    """``value`` as ``request``'s user may see it (the one place deciding)."""
    if sees_personal_data(request.get("user"), handoff.status, handoff.agent):
        return value
    return mask_data(value, names)


def _customer_names(customer: dict[str, Any]) -> tuple[str, ...]:
    name = (customer.get("customer") or {}).get("name")
    return (str(name),) if name else ()


async def _customer(request: web.Request, customer_id: str | None) -> dict[str, Any]:
    if not customer_id:
        return {"note": "顾客尚未核实身份"}
    try:
        customer, loyalty, orders = await asyncio.gather(
            request.app[CRM].get_customer(customer_id),
            request.app[CRM].loyalty_summary(customer_id),
            request.app[ORDERS].list_orders(customer_id, limit=5),
        )
    except BackendError as error:
        logger.warning("customer %s not loaded: %s", customer_id, error)
        return {"note": "客户资料暂时查不到（后台系统无响应）"}
    return {"customer": customer, "loyalty": loyalty, "orders": orders}


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
    customer = await _customer(request, handoff.customer_id)
    names = _customer_names(customer)
    return await render_page(
        request,
        "conversation.html",
        handoff=handoff,
        item=queue_item(handoff, now()),
        lines=[
            replace(line, text=_shown(request, handoff, line.text, names))
            for line in lines
        ],
        event_count=count,
        transcript_error=transcript_error,
        summary=_shown(request, handoff, handoff.summary, names),
        customer=_shown(request, handoff, customer, names),
        mine=handoff.status == "claimed" and handoff.agent == request.get("user"),
    )


async def conversation_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: new transcript lines and the conversation's status."""
    service = request.app[SERVICE]
    wanted = handoff_id(request)
    start = int(request.query.get("from", "0") or 0)
    response = await open_stream(request)
    status = None
    try:
        while True:
            handoff = await service.handoff(wanted)
            if handoff is None:
                break
            if handoff.status != status:
                status = handoff.status
                await send_event(response, "status", {"status": status})
            try:
                lines, count = await service.transcript(handoff, start)
            except RasaError:
                lines, count = [], start
            if lines:
                await send_event(
                    response,
                    "lines",
                    [_shown(request, handoff, line.as_json()) for line in lines],
                )
            start = max(start, count)
            if not await pause(request):
                break
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def _reply_text(request: web.Request) -> str:
    if request.content_type == "application/json":
        return str((await request.json()).get("text") or "")
    return str((await request.post()).get("text") or "")


async def _agent_action(request: web.Request, what: str) -> web.StreamResponse:
    service = request.app[SERVICE]
    wanted = handoff_id(request)
    user = current_user(request)
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
        raise ConsoleError(502, "delivery_failed", str(error)) from None
    except RasaError:
        raise ConsoleError(
            502, "rasa_unavailable", "Rasa 服务器无响应，请稍后再试"
        ) from None
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
