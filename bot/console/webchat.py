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

from bot.console.errors import ConsoleError, error_response, read_json
from bot.console.keys import (
    CHAT_ADDRESS_LIMIT,
    CHAT_SESSION_LIMIT,
    MEDIA,
    NUDGES,
    SERVICE,
)
from bot.console.media_views import picture, read_limited, ref_of
from bot.console.rasa import RasaError
from bot.console.transcript import images_in
from bot.platform.conversation_ids import WEB, conversation_id
from bot.platform.media_store import (
    TOO_LARGE,
    MediaRejected,
    image_message,
    is_media_ref,
    too_large,
)

logger = logging.getLogger(__name__)

#: The session key of the shopper's chat id.
CHAT_ID = "chat_id"
TOO_FAST = "发送太频繁啦，请稍等一会儿再发～"
#: The only request type a photo upload is taken in: not one a plain form of
#: another site can send (no CORS preflight), as JSON is for the text sends.
UPLOAD_TYPE = "application/octet-stream"
MEDIA_URL = "/chat/api/media/"


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
    chat_id = await _allowed_chat_id(request)
    # Not cut here: the Rasa server's guard keeps MAX_MESSAGE_CHARS, marks
    # the cut in the tracker and tells the shopper (bot/rasa_server/resilience/).
    return web.json_response({"messages": await _ask(request, chat_id, message)})


async def _allowed_chat_id(request: web.Request) -> str:
    """The session's chat id, if its sends are within the rate limits."""
    chat_id = await _chat_id(request)
    address = request.remote or ""
    if not request.app[CHAT_SESSION_LIMIT].allow(chat_id) or not request.app[
        CHAT_ADDRESS_LIMIT
    ].allow(address):
        raise ConsoleError(429, "too_many_messages", TOO_FAST)
    return chat_id


async def _ask(request: web.Request, chat_id: str, message: str) -> list[Any]:
    """Send a message to Rasa's web channel; the answers the browser shows."""
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
    return [answer for answer in shown if answer["text"] or answer["buttons"]]


async def chat_image(request: web.Request) -> web.Response:
    """A photo from the shopper: checked by content and size, stored, sent to Rasa.

    The body is the file itself (``application/octet-stream``); Rasa gets
    ``/send_image{"image_ref": …}`` as from WeChat, so a form asking for a
    photo (the returns flow) takes it.
    """
    if request.content_type != UPLOAD_TYPE:
        raise ConsoleError(415, "invalid_content_type", "请从聊天窗口选择照片发送")
    chat_id = await _allowed_chat_id(request)
    store = request.app[MEDIA]
    try:
        declared = request.content_length
        if declared is not None and declared > store.max_bytes:
            raise too_large(store.max_bytes)  # refused unread
        ref = await store.save(await read_limited(request, store.max_bytes))
    except MediaRejected as refusal:
        refused = error_response(
            413 if refusal.code == TOO_LARGE else 415,
            refusal.code,
            refusal.shopper_message,
        )
        if refusal.code == TOO_LARGE:
            refused.force_close()  # the rest of the body is not read
        return refused
    logger.info("web chat picture stored as %s", ref)
    messages = await _ask(request, chat_id, image_message(ref))
    return web.json_response({"image": MEDIA_URL + ref.key, "messages": messages})


async def chat_picture(request: web.Request) -> web.Response:
    """A picture of the session's own conversation (its own or an agent's)."""
    ref = ref_of(request.match_info["key"])
    session = await get_session(request)
    chat_id = session.get(CHAT_ID)
    if not isinstance(chat_id, str):
        raise web.HTTPNotFound()
    conversation = conversation_id(WEB, chat_id)
    try:
        events = await request.app[SERVICE].events(conversation)
    except RasaError:
        raise ConsoleError(
            502, "rasa_unavailable", "小客暂时连不上，请稍后再试"
        ) from None
    return await picture(request, ref, images_in(events))


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
                _web_message(message.id, message.text, message.agent)
                for message in messages
            ]
        }
    )


def _web_message(message_id: int, text: str, agent: str | None) -> dict[str, Any]:
    """A person's message for the browser; an agent's picture as its address."""
    if agent and is_media_ref(text):
        return {
            "id": message_id,
            "text": "",
            "agent": agent,
            "image": MEDIA_URL + text.removeprefix("media:"),
        }
    return {"id": message_id, "text": text, "agent": agent}


def _shown(answer: dict[str, Any]) -> dict[str, Any]:
    """What the browser needs of one bot answer."""
    return {
        "text": answer.get("text") or "",
        "buttons": [
            {"title": button.get("title"), "payload": button.get("payload")}
            for button in answer.get("buttons") or []
        ],
    }
