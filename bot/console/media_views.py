"""Pictures in the console: a conversation's pictures for staff, an agent's picture out.

A picture is served only by its reference (``<sha256>.<ext>``, validated
before the store is touched, so no path reaches the disk), only inside a
conversation whose events show it, and only to who may read that transcript
unmasked (the agent holding it: a picture may show a label's name and phone). An
agent's upload is checked by its content (whatever its name or declared type
says) and size before it is stored and sent.
"""

from __future__ import annotations

import logging

from aiohttp import BodyPartReader, web

from bot.console.auth import CSRF_HEADER, current_user, sees_personal_data
from bot.console.errors import ConsoleError
from bot.console.keys import MEDIA, NUDGES, SERVICE, WORKBENCH
from bot.console.pages import handoff_id, wants_json
from bot.console.rasa import RasaError
from bot.console.service import ConsoleActionError, DeliveryError
from bot.console.transcript import IMAGE_TEXT, images_in
from bot.platform.media_store import (
    TOO_LARGE,
    MediaRef,
    MediaRejected,
    UnknownMedia,
    is_media_ref,
)

logger = logging.getLogger(__name__)

#: The form field of an uploaded picture.
IMAGE_FIELD = "image"
CHUNK = 64 * 1024


def agent_refusal(error: MediaRejected, max_bytes: int) -> ConsoleError:
    """What the agent (or shopper) reads when an upload is not a picture we keep."""
    if error.code == TOO_LARGE:
        limit_mb = f"{max_bytes / 1024 / 1024:g}"
        return ConsoleError(413, TOO_LARGE, f"图片太大（超过 {limit_mb} MB），未发送")
    return ConsoleError(
        415, error.code, "只能发送 JPG、PNG、GIF 或 WebP 图片；这个文件不是图片，未发送"
    )


def ref_of(key: str) -> str:
    """``media:<key>`` for a valid key.

    Raises:
        web.HTTPNotFound: Not a media key (``../``, other names, other types).
    """
    ref = f"media:{key}"
    if not is_media_ref(ref):
        raise web.HTTPNotFound()
    return ref


async def picture(request: web.Request, ref: str, shown: set[str]) -> web.Response:
    """The stored picture ``ref``, if ``shown`` (the conversation's pictures) has it."""
    if ref not in shown:
        raise web.HTTPNotFound()
    parsed = MediaRef.parse(ref)
    try:
        data = await request.app[MEDIA].open(parsed)
    except UnknownMedia:
        raise web.HTTPNotFound() from None
    return web.Response(
        body=data,
        content_type=parsed.content_type,
        headers={
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


async def conversation_image(request: web.Request) -> web.Response:
    """A picture of a handed-off conversation, for the agent holding it."""
    ref = ref_of(request.match_info["key"])
    service = request.app[SERVICE]
    handoff = await service.handoff(handoff_id(request))
    if handoff is None:
        raise web.HTTPNotFound()
    if not sees_personal_data(request.get("user"), handoff.status, handoff.agent):
        # As for masked text: only the agent holding the conversation.
        raise ConsoleError(403, "forbidden", "接入这个会话后才能查看图片")
    try:
        events = await service.events(handoff.conversation_id)
    except RasaError:
        raise ConsoleError(
            502, "rasa_unavailable", "Rasa 服务器无响应，请稍后再试"
        ) from None
    return await picture(request, ref, images_in(events))


async def read_limited(reader: BodyPartReader | web.Request, limit: int) -> bytes:
    """Read a body part (or a raw body) up to ``limit + 1`` bytes.

    Reading one byte past the limit is enough to refuse an oversized file
    without holding all of it.
    """
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        if isinstance(reader, BodyPartReader):
            chunk = await reader.read_chunk(CHUNK)
        else:
            chunk = await reader.content.read(CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)[: limit + 1]


async def _uploaded(request: web.Request, limit: int) -> bytes:
    """The ``image`` field of a multipart upload (at most ``limit + 1`` bytes)."""
    if CSRF_HEADER not in request.headers:
        # The CSRF check read the whole (small) form already.
        field = (await request.post()).get(IMAGE_FIELD)
        if isinstance(field, web.FileField):
            return field.file.read(limit + 1)
        raise ConsoleError(400, "invalid_body", "请选择要发送的图片")
    if not request.content_type.startswith("multipart/"):
        raise ConsoleError(400, "invalid_body", "请以表单上传图片")
    reader = await request.multipart()
    while True:
        part = await reader.next()
        if part is None:
            break
        if isinstance(part, BodyPartReader) and part.name == IMAGE_FIELD:
            return await read_limited(part, limit)
    raise ConsoleError(400, "invalid_body", "请选择要发送的图片")


async def send_image(request: web.Request) -> web.StreamResponse:
    """An agent's picture: checked, stored, sent to the shopper, recorded."""
    user = current_user(request)
    wanted = handoff_id(request)
    store = request.app[MEDIA]
    data = await _uploaded(request, store.max_bytes)
    try:
        ref = await store.save(data)
    except MediaRejected as error:
        raise agent_refusal(error, store.max_bytes) from None
    try:
        await request.app[SERVICE].reply_image(wanted, user, ref, data)
    except ConsoleActionError as error:
        raise ConsoleError(409, "not_possible", str(error)) from None
    except DeliveryError as error:  # kept in the transcript, marked as not delivered
        await request.app[WORKBENCH].add_note(
            wanted, user, f"【未送达】{IMAGE_TEXT}——{error}"
        )
        raise ConsoleError(502, "delivery_failed", str(error)) from None
    except RasaError:
        raise ConsoleError(
            502, "rasa_unavailable", "Rasa 服务器无响应，请稍后再试"
        ) from None
    logger.info("agent %s sent picture %s in handoff %s", user, ref, wanted)
    handoff = await request.app[SERVICE].handoff(wanted)
    if handoff is not None:  # this process's pages of it show it at once
        request.app[NUDGES].nudge(handoff.conversation_id)
    if wants_json(request):
        return web.json_response({"ok": True, "image": ref.key})
    raise web.HTTPSeeOther(f"/conversations/{wanted}")
