"""The media side of the WeCom simulator: ``media/upload`` and ``media/get``.

``bot.devtools.wecom_simulator.WeComPlatform`` serves these routes next to the
kf API and checks the access token the same way. WeCom keeps temporary media
three days; images are JPG or PNG up to 10 MB (checked here by content, as
the platform does); ``media/get`` answers the file, or JSON with an errcode.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import BodyPartReader, web

MAX_IMAGE = 10 * 1024 * 1024
IMAGE_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


@dataclass(frozen=True)
class Medium:
    """A temporary medium: its bytes and the type the platform declares."""

    data: bytes
    content_type: str


@dataclass
class WeComMediaApi:
    """Temporary media of the simulated corp.

    Attributes:
        token_valid: Whether an access token is one the platform issued.
        media: media_id → medium (shoppers' pictures and uploads alike).
        uploads: The media_ids uploaded through ``media/upload``, in order.
        get_requests: The media_ids asked for with ``media/get``, in order.
    """

    token_valid: Callable[[str], bool]
    media: dict[str, Medium] = field(default_factory=dict)
    uploads: list[str] = field(default_factory=list)
    get_requests: list[str] = field(default_factory=list)

    def add_routes(self, app: web.Application) -> None:
        """Serve ``/cgi-bin/media/upload`` and ``/cgi-bin/media/get`` in ``app``."""
        app.router.add_post("/cgi-bin/media/upload", self._upload)
        app.router.add_get("/cgi-bin/media/get", self._get)

    def keep(self, data: bytes, content_type: str = "image/jpeg") -> str:
        """Keep a medium as if a shopper had sent it; its media_id."""
        media_id = "3" + secrets.token_urlsafe(40)
        self.media[media_id] = Medium(data, content_type)
        return media_id

    async def _upload(self, request: web.Request) -> web.Response:
        if not self.token_valid(request.query.get("access_token", "")):
            return _error(40014, "invalid access_token")
        if request.query.get("type") != "image":
            return _error(40004, "invalid media type")
        data = b""
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if isinstance(part, BodyPartReader) and part.name == "media":
                    data = bytes(await part.read(decode=False))
                    break
        if not data:
            return _error(41005, "media data missing")
        if len(data) > MAX_IMAGE:
            return _error(40009, "invalid image size")
        if not data.startswith(IMAGE_SIGNATURES):
            return _error(40005, "invalid file type")
        media_id = self.keep(data, "image/jpeg")
        self.uploads.append(media_id)
        return web.json_response(
            {
                "errcode": 0,
                "errmsg": "ok",
                "type": "image",
                "media_id": media_id,
                "created_at": str(int(time.time())),
            }
        )

    async def _get(self, request: web.Request) -> web.Response:
        media_id = request.query.get("media_id", "")
        self.get_requests.append(media_id)
        if not self.token_valid(request.query.get("access_token", "")):
            return _error(40014, "invalid access_token")
        medium = self.media.get(media_id)
        if medium is None:
            return _error(40007, "invalid media_id")
        return web.Response(
            body=medium.data,
            content_type=medium.content_type,
            headers={"Content-Disposition": f'attachment; filename="{media_id}"'},
        )


def _error(errcode: int, errmsg: str) -> web.Response:
    return web.json_response({"errcode": errcode, "errmsg": errmsg})
