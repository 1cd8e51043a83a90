"""HTTP handlers of the console: pages, live updates, agent actions, web chat."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session, new_session

from actions.clients.errors import BackendError
from bot.console.auth import csrf_token, current_user, sees_personal_data
from bot.console.keys import CRM, LOGIN_THROTTLE, ORDERS, SERVICE, SETTINGS, STOPPING
from bot.console.passwords import verify_password
from bot.console.rasa import RasaError
from bot.console.repository import Handoff
from bot.console.service import ConsoleActionError, DeliveryError
from bot.privacy.masking import mask_data, mask_text

logger = logging.getLogger(__name__)

MAX_TEXT = 2000
#: Handoff reason codes (``actions/handoff.py``) → Chinese, short (queue, analytics).
REASON_LABELS = {
    "shopper_request": "顾客要求转人工",
    "complaint": "顾客投诉",
    "repeated_fallback": "连续两次没听懂",
    "repeated_failures": "多次核实/校验失败",
    "backend_unavailable": "系统故障",
    "signed_not_received": "显示签收但没收到",
    "developer": "流程标记需要人工",
}
CHANNEL_LABELS = {"web": "网页", "wechat": "微信", "rest": "接口"}


def json_error(status: int, code: str, message: str) -> web.Response:
    """A JSON error answer: ``{"error": {"code", "message"}}`` with ``status``."""
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status
    )


def _handoff_id(request: web.Request) -> int:
    try:
        return int(request.match_info["handoff_id"])
    except ValueError:
        raise web.HTTPNotFound() from None


def _waited(handoff: Handoff, now: datetime) -> str:
    minutes = int((now - handoff.created_at).total_seconds() // 60)
    if minutes < 1:
        return "不到1分钟"
    if minutes < 60:
        return f"{minutes}分钟"
    return f"{minutes // 60}小时{minutes % 60}分钟"


def _queue_item(handoff: Handoff, now: datetime) -> dict[str, Any]:
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "channel": CHANNEL_LABELS.get(handoff.channel, handoff.channel),
        "reason": REASON_LABELS.get(handoff.reason, handoff.reason),
        "waited": _waited(handoff, now),
        "agent": handoff.agent,
        # A list view: masked for everyone (full text only in the conversation).
        "last_message": mask_text(str(handoff.summary.get("last_message") or "")),
    }


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


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


async def _page(request: web.Request, template: str, **context: Any) -> web.Response:
    session = await get_session(request)
    context.setdefault("user", request.get("user"))
    context["csrf_token"] = csrf_token(session)
    return aiohttp_jinja2.render_template(template, request, context)


# --- login ----------------------------------------------------------------
async def login_page(request: web.Request) -> web.Response:
    """The login form."""
    return await _page(request, "login.html", error=None)


async def login(request: web.Request) -> web.StreamResponse:
    """Check the password; start a fresh session (new CSRF token) on success."""
    form = await request.post()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    throttle = request.app[LOGIN_THROTTLE]
    keys = [f"user:{username.lower()}", f"ip:{request.remote or ''}"]
    wait = throttle.retry_after(keys)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        response = await _page(
            request,
            "login.html",
            error=f"登录失败次数过多，请{minutes}分钟后再试",
        )
        response.set_status(429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    stored = await request.app[SERVICE].repository.password_hash(username)
    if not username or not verify_password(stored, password):
        throttle.failed(keys)
        response = await _page(request, "login.html", error="用户名或密码不正确")
        response.set_status(401)
        return response
    throttle.succeeded(keys)
    session = await new_session(request)
    session["user"] = username
    csrf_token(session)
    raise web.HTTPSeeOther("/queue")


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    session = await get_session(request)
    session.invalidate()
    raise web.HTTPSeeOther("/login")


# --- queue ----------------------------------------------------------------
async def index(request: web.Request) -> web.StreamResponse:
    """The console starts at the queue."""
    raise web.HTTPSeeOther("/queue")


async def _queue_state(request: web.Request) -> dict[str, Any]:
    repository = request.app[SERVICE].repository
    now = _now()
    waiting = await repository.waiting()
    mine = await repository.claimed_by(current_user(request))
    return {
        "waiting": [_queue_item(handoff, now) for handoff in waiting],
        "mine": [_queue_item(handoff, now) for handoff in mine],
    }


async def queue_page(request: web.Request) -> web.Response:
    """Waiting conversations, oldest first, and the agent's own."""
    state = await _queue_state(request)
    notice = "这个会话已被其他客服接入" if request.query.get("taken") else None
    return await _page(request, "queue.html", notice=notice, **state)


async def queue_json(request: web.Request) -> web.Response:
    """The queue as JSON."""
    return web.json_response(await _queue_state(request))


async def _sse(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",
        }
    )
    await response.prepare(request)
    return response


async def _send(response: web.StreamResponse, event: str, data: Any) -> None:
    payload = json.dumps(data, ensure_ascii=False)
    await response.write(f"event: {event}\ndata: {payload}\n\n".encode())


async def _pause(request: web.Request) -> bool:
    """Wait one poll interval; ``False`` when the console is stopping."""
    stopping = request.app[STOPPING]
    try:
        await asyncio.wait_for(
            stopping.wait(), timeout=request.app[SETTINGS].poll_interval
        )
    except asyncio.TimeoutError:
        return True
    return False


async def queue_stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: the queue whenever it changes."""
    response = await _sse(request)
    last = None
    try:
        while True:
            state = await _queue_state(request)
            if state != last:
                await _send(response, "queue", state)
                last = state
            if not await _pause(request):
                break
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def claim(request: web.Request) -> web.StreamResponse:
    """Claim a waiting conversation (only one agent can)."""
    handoff_id = _handoff_id(request)
    claimed = await request.app[SERVICE].repository.claim(
        handoff_id, current_user(request)
    )
    if "application/json" in request.headers.get("Accept", ""):
        return web.json_response({"claimed": claimed}, status=200 if claimed else 409)
    if not claimed:
        raise web.HTTPSeeOther("/queue?taken=1")
    raise web.HTTPSeeOther(f"/conversations/{handoff_id}")


# --- conversation ---------------------------------------------------------
async def _customer(request: web.Request, customer_id: str | None) -> dict[str, Any]:
    if not customer_id:
        return {"note": "顾客尚未核实身份"}
    result: dict[str, Any] = {}
    try:
        customer, loyalty, orders = await asyncio.gather(
            request.app[CRM].get_customer(customer_id),
            request.app[CRM].loyalty_summary(customer_id),
            request.app[ORDERS].list_orders(customer_id, limit=5),
        )
    except BackendError as error:
        logger.warning("customer %s not loaded: %s", customer_id, error)
        return {"note": "客户资料暂时查不到（后台系统无响应）"}
    result.update(customer=customer, loyalty=loyalty, orders=orders)
    return result


async def conversation_page(request: web.Request) -> web.Response:
    """Transcript, summary, customer profile, orders, reply box."""
    service = request.app[SERVICE]
    handoff = await service.repository.get(_handoff_id(request))
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
    return await _page(
        request,
        "conversation.html",
        handoff=handoff,
        item=_queue_item(handoff, _now()),
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
    handoff_id = _handoff_id(request)
    start = int(request.query.get("from", "0") or 0)
    response = await _sse(request)
    status = None
    try:
        while True:
            handoff = await service.repository.get(handoff_id)
            if handoff is None:
                break
            if handoff.status != status:
                status = handoff.status
                await _send(response, "status", {"status": status})
            try:
                lines, count = await service.transcript(handoff, start)
            except RasaError:
                lines, count = [], start
            if lines:
                await _send(
                    response,
                    "lines",
                    [_shown(request, handoff, line.as_json()) for line in lines],
                )
            start = max(start, count)
            if not await _pause(request):
                break
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    return response


async def _agent_action(request: web.Request, what: str) -> web.StreamResponse:
    service = request.app[SERVICE]
    handoff_id = _handoff_id(request)
    user = current_user(request)
    wants_json = "application/json" in request.headers.get("Accept", "")
    try:
        if what == "reply":
            if request.content_type == "application/json":
                text = str((await request.json()).get("text") or "")
            else:
                text = str((await request.post()).get("text") or "")
            await service.reply(handoff_id, user, text[:MAX_TEXT])
        elif what == "handback":
            await service.hand_back(handoff_id, user)
        else:
            await service.close(handoff_id, user)
    except ConsoleActionError as error:
        return json_error(409, "not_possible", str(error))
    except DeliveryError as error:
        return json_error(502, "delivery_failed", str(error))
    except RasaError:
        return json_error(502, "rasa_unavailable", "Rasa 服务器无响应，请稍后再试")
    if wants_json:
        return web.json_response({"ok": True})
    raise web.HTTPSeeOther(
        f"/conversations/{handoff_id}" if what == "reply" else "/queue"
    )


async def reply(request: web.Request) -> web.StreamResponse:
    """Send the agent's reply to the shopper and record it."""
    return await _agent_action(request, "reply")


async def hand_back(request: web.Request) -> web.StreamResponse:
    """交还机器人: the bot answers again."""
    return await _agent_action(request, "handback")


async def close(request: web.Request) -> web.StreamResponse:
    """关闭: the human service is over."""
    return await _agent_action(request, "close")


# --- internal API (action server) -----------------------------------------
async def internal_handoff(request: web.Request) -> web.Response:
    """Queue a conversation handed off by ``action_handoff``."""
    try:
        body = await request.json()
    except ValueError:
        return json_error(400, "invalid_json", "body must be JSON")
    if not isinstance(body, dict):
        return json_error(400, "invalid_body", "body must be an object")
    conversation_id = body.get("conversation_id")
    summary = body.get("summary") or {}
    if not isinstance(conversation_id, str) or not conversation_id:
        return json_error(400, "invalid_body", "conversation_id is required")
    if not isinstance(summary, dict):
        return json_error(400, "invalid_body", "summary must be an object")
    customer_id = body.get("customer_id")
    ticket = await request.app[SERVICE].request_handoff(
        conversation_id=conversation_id[:255],
        channel=str(body.get("channel") or "web"),
        reason=str(body.get("reason") or "shopper_request")[:255],
        summary=summary,
        customer_id=str(customer_id)[:64] if customer_id else None,
    )
    return web.json_response(ticket.as_json(), status=201)


async def health(request: web.Request) -> web.Response:
    """Liveness."""
    return web.json_response({"status": "ok"})
