"""The shopper web chat: a server-issued id per browser session, nothing chosen by it.

The shopper's id is issued here and kept in the console's signed, encrypted,
HttpOnly session cookie; the browser never sends it. Messages go to the Rasa
server's ``web`` channel (conversation ``web:<id>``) with ``RASA_TOKEN``, and
the polling endpoint serves only the session's own conversation. Sends are
rate-limited per session and per client address.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot.console.errors import ConsoleError, read_json
from bot.console.keys import CHAT_ADDRESS_LIMIT, CHAT_SESSION_LIMIT, NUDGES, SERVICE
from bot.console.rasa import RasaError
from bot.platform.conversation_ids import WEB, conversation_id

logger = logging.getLogger(__name__)

#: The session key of the shopper's chat id.
CHAT_ID = "chat_id"
TOO_FAST = "发送太频繁啦，请稍等一会儿再发～"


async def chat_page(request: web.Request) -> web.Response:
    """The shopper chat page (no login); the session's chat id is issued here.

    Issuing it with the page, not with the first send, keeps a shopper who
    types two messages before the first answer in one conversation: both
    sends carry the cookie the page set.
    """
    await _chat_id(request)
    return aiohttp_jinja2.render_template("chat.html", request, {})


async def _chat_id(request: web.Request) -> str:
    """The session's chat id, issued now if the session has none."""
    session = await get_session(request)
    chat_id = session.get(CHAT_ID)
    if not isinstance(chat_id, str):
        chat_id = session[CHAT_ID] = secrets.token_urlsafe(18)
    return chat_id


async def chat_send(request: web.Request) -> web.Response:
    """Send the session's shopper message to Rasa; the bot's answers.

    Any ``sender`` in the body is ignored: the conversation is the session's.
    """
    if request.content_type != "application/json":
        # Also keeps other sites' plain form posts out (no CORS preflight).
        raise ConsoleError(415, "invalid_content_type", "请以 JSON 发送消息")
    body = await read_json(request, "消息格式不对，请刷新页面后再试")
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, str) or not message.strip():
        raise ConsoleError(400, "invalid_body", "消息不能为空")
    chat_id = await _chat_id(request)
    address = request.remote or ""
    if not request.app[CHAT_SESSION_LIMIT].allow(chat_id) or not request.app[
        CHAT_ADDRESS_LIMIT
    ].allow(address):
        raise ConsoleError(429, "too_many_messages", TOO_FAST)
    try:
        # Not cut here: the Rasa server's guard keeps MAX_MESSAGE_CHARS, marks
        # the cut in the tracker and tells the shopper (bot/rasa_server/resilience/).
        service = request.app[SERVICE]
        await service.repository.record_shopper_message(conversation_id(WEB, chat_id))
        answers = await service.rasa.send_web(chat_id, message.strip())
        request.app[NUDGES].nudge(conversation_id(WEB, chat_id))
    except RasaError as error:
        logger.warning("web chat: %s", error)
        raise ConsoleError(
            502, "rasa_unavailable", "小客暂时连不上，请稍后再试"
        ) from None
    shown = [_shown(answer) for answer in answers]
    return web.json_response(
        {
            "messages": [
                answer for answer in shown if answer["text"] or answer["buttons"]
            ]
        }
    )


async def chat_messages(request: web.Request) -> web.Response:
    """Messages from people in the session's conversation, newer than ``after``.

    A ``sender`` in the query is ignored; a browser without a chat gets none.
    """
    try:
        after = int(request.query.get("after", "0") or 0)
    except ValueError:
        after = 0
    session = await get_session(request)
    chat_id = session.get(CHAT_ID)
    if not isinstance(chat_id, str):
        return web.json_response({"messages": []})
    messages = await request.app[SERVICE].web_messages(
        conversation_id(WEB, chat_id), after
    )
    return web.json_response(
        {
            "messages": [
                {"id": message.id, "text": message.text, "agent": message.agent}
                for message in messages
            ]
        }
    )


def _shown(answer: dict[str, Any]) -> dict[str, Any]:
    """What the browser needs of one bot answer."""
    return {
        "text": answer.get("text") or "",
        "buttons": [
            {"title": button.get("title"), "payload": button.get("payload")}
            for button in answer.get("buttons") or []
        ],
    }
