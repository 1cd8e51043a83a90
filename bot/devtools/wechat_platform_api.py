"""The platform API side of the WeChat simulator: token, messages, QR codes, media.

``bot.devtools.wechat_simulator.WeChatPlatform`` serves this application and
shares its records (calls made, refusals wanted) with the tests.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

#: ``qrcode/create`` action names: string scenes and numeric ones, temporary or not.
STRING_SCENES = frozenset({"QR_STR_SCENE", "QR_LIMIT_STR_SCENE"})
NUMBER_SCENES = frozenset({"QR_SCENE", "QR_LIMIT_SCENE"})
MAX_SCENE_STR = 64
MAX_SCENE_ID = 100_000
#: ``media/upload`` of a temporary image: JPG/PNG/GIF/BMP up to 10 MB.
MAX_UPLOAD_IMAGE = 10 * 1024 * 1024
UPLOAD_IMAGE_SIGNATURES = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
)


@dataclass(frozen=True)
class IssuedQrCode:
    """A QR code the simulated platform issued.

    Attributes:
        scene: Its scene (a number's decimal digits for numeric scenes).
        ticket: Its ticket.
        url: What it encodes.
        permanent: ``QR_LIMIT_*``.
    """

    scene: str
    ticket: str
    url: str
    permanent: bool


@dataclass(frozen=True)
class UploadedMedia:
    """A temporary medium a shopper sent (what ``media/get`` serves).

    Attributes:
        data: The file.
        content_type: What the platform says it is.
    """

    data: bytes
    content_type: str


class PlatformApi:
    """``/cgi-bin/token``, ``message/custom/send``, ``qrcode/create``, ``media/*``.

    Args:
        app_id: The Official Account's AppID.
        app_secret: Its AppSecret.
        token_lifetime: Seconds an access token stays valid.
        deliver: Called with ``(openid, text)`` for every message sent, and
            ``(openid, "[图片]", picture bytes)`` for an image message.
        token_requests: Where to record the token calls' queries.
        custom_calls: Where to record customer-service calls (token, raw body,
            parsed body, errcode).
        refuse: openid → errcode to answer customer-service calls with.

    Attributes:
        qrcodes: Ticket → the QR code issued with it.
        media: MediaId → a medium shoppers sent (``media/get`` serves it).
        media_requests: The MediaIds asked for, in order.
        media_errors: MediaId → errcode to answer ``media/get`` with.
        uploads: media_id → a picture the account uploaded (``media/upload``).
    """

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        token_lifetime: int,
        deliver: Callable[..., None],
        *,
        token_requests: list[dict[str, str]],
        custom_calls: list[dict[str, Any]],
        refuse: dict[str, int],
    ) -> None:
        self.app_id = app_id
        self.app_secret = app_secret
        self.token_lifetime = token_lifetime
        self._deliver = deliver
        self.token_requests = token_requests
        self.custom_calls = custom_calls
        self.refuse = refuse
        self._tokens: dict[str, float] = {}  # token → expiry (epoch seconds)
        self.qrcodes: dict[str, IssuedQrCode] = {}
        self.media: dict[str, UploadedMedia] = {}
        self.media_requests: list[str] = []
        self.media_errors: dict[str, int] = {}
        self.uploads: dict[str, UploadedMedia] = {}

    def app(self) -> web.Application:
        """The aiohttp application serving the API."""
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token_endpoint)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        app.router.add_post("/cgi-bin/qrcode/create", self._qrcode_create)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        app.router.add_post("/cgi-bin/media/upload", self._media_upload)
        return app

    def upload(self, data: bytes, content_type: str) -> str:
        """Keep a medium as if a shopper had sent it; returns its MediaId."""
        media_id = secrets.token_urlsafe(32)
        self.media[media_id] = UploadedMedia(data, content_type)
        return media_id

    def expire_tokens(self) -> None:
        """Every issued access token expires now (next use: 42001)."""
        self._tokens = dict.fromkeys(self._tokens, 0.0)

    def token_error(self, token: str) -> dict[str, Any] | None:
        """The platform's answer to a call with an unusable token, else ``None``."""
        if token not in self._tokens:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        if self._tokens[token] <= time.time():
            return {"errcode": 42001, "errmsg": "access_token expired"}
        return None

    async def _token_endpoint(self, request: web.Request) -> web.Response:
        query = dict(request.query)
        self.token_requests.append(query)
        if query.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        if query.get("appid") != self.app_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if query.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = secrets.token_urlsafe(24)
        self._tokens[token] = time.time() + self.token_lifetime
        return web.json_response(
            {"access_token": token, "expires_in": self.token_lifetime}
        )

    async def _custom_send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        raw = await request.read()
        call: dict[str, Any] = {"token": token, "raw": raw}
        self.custom_calls.append(call)
        refused = self.token_error(token)
        if refused is not None:
            call["errcode"] = refused["errcode"]
            return web.json_response(refused)
        try:
            body = await request.json()
        except ValueError:
            call["errcode"] = 47001
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        call["body"] = body
        openid = body.get("touser", "")
        if openid in self.refuse:
            call["errcode"] = self.refuse[openid]
            return web.json_response(
                {"errcode": self.refuse[openid], "errmsg": "refused"}
            )
        if body.get("msgtype") == "image":
            media_id = (body.get("image") or {}).get("media_id", "")
            if media_id not in self.uploads:
                call["errcode"] = 40007
                return web.json_response(
                    {"errcode": 40007, "errmsg": "invalid media_id"}
                )
            call["errcode"] = 0
            self._deliver(openid, "[图片]", self.uploads[media_id].data)
            return web.json_response({"errcode": 0, "errmsg": "ok"})
        if body.get("msgtype") != "text" or not body.get("text", {}).get("content"):
            call["errcode"] = 44003
            return web.json_response({"errcode": 44003, "errmsg": "empty content"})
        call["errcode"] = 0
        self._deliver(openid, body["text"]["content"])
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _media_upload(self, request: web.Request) -> web.Response:
        """``media/upload``: a multipart ``media`` file of the given ``type``."""
        refused = self.token_error(request.query.get("access_token", ""))
        if refused is not None:
            return web.json_response(refused)
        if request.query.get("type") != "image":
            return web.json_response({"errcode": 40004, "errmsg": "invalid media type"})
        data = b""
        if request.content_type == "multipart/form-data":
            reader = await request.multipart()
            while (part := await reader.next()) is not None:
                if isinstance(part, BodyPartReader) and part.name == "media":
                    data = await part.read(decode=False)
                    break
        if not data:
            return web.json_response({"errcode": 41005, "errmsg": "media data missing"})
        if len(data) > MAX_UPLOAD_IMAGE:
            return web.json_response({"errcode": 40009, "errmsg": "invalid image size"})
        if not data.startswith(UPLOAD_IMAGE_SIGNATURES):
            return web.json_response({"errcode": 40005, "errmsg": "invalid file type"})
        media_id = secrets.token_urlsafe(32)
        self.uploads[media_id] = UploadedMedia(bytes(data), "image")
        return web.json_response(
            {"type": "image", "media_id": media_id, "created_at": int(time.time())}
        )

    async def _media_get(self, request: web.Request) -> web.StreamResponse:
        media_id = request.query.get("media_id", "")
        self.media_requests.append(media_id)
        refused = self.token_error(request.query.get("access_token", ""))
        if refused is not None:
            # WeChat answers errors of media/get as JSON with a text/plain type.
            return web.json_response(refused, content_type="text/plain")
        if media_id in self.media_errors:
            return web.json_response(
                {"errcode": self.media_errors[media_id], "errmsg": "refused"},
                content_type="text/plain",
            )
        media = self.media.get(media_id)
        if media is None:
            return web.json_response(
                {"errcode": 40007, "errmsg": "invalid media_id"},
                content_type="text/plain",
            )
        return web.Response(
            body=media.data,
            content_type=media.content_type,
            headers={"Content-Disposition": f'attachment; filename="{media_id}"'},
        )

    async def _qrcode_create(self, request: web.Request) -> web.Response:
        refused = self.token_error(request.query.get("access_token", ""))
        if refused is not None:
            return web.json_response(refused)
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        if not isinstance(body, dict):
            return web.json_response({"errcode": 47001, "errmsg": "data format error"})
        action = body.get("action_name")
        scene = (body.get("action_info") or {}).get("scene") or {}
        if action in STRING_SCENES:
            value = scene.get("scene_str")
            valid = isinstance(value, str) and 1 <= len(value) <= MAX_SCENE_STR
        elif action in NUMBER_SCENES:
            value = scene.get("scene_id")
            valid = isinstance(value, int) and 1 <= value <= MAX_SCENE_ID
        else:
            return web.json_response(
                {"errcode": 40052, "errmsg": "invalid action name"}
            )
        if not valid:
            return web.json_response(
                {"errcode": 40053, "errmsg": "invalid action info"}
            )
        ticket = "gQ" + secrets.token_urlsafe(30)
        code = IssuedQrCode(
            scene=str(value),
            ticket=ticket,
            url=f"http://weixin.qq.com/q/{secrets.token_urlsafe(16)}",
            permanent=action.startswith("QR_LIMIT"),
        )
        self.qrcodes[ticket] = code
        answer: dict[str, Any] = {"ticket": ticket, "url": code.url}
        if not code.permanent:
            answer["expire_seconds"] = int(body.get("expire_seconds") or 60)
        return web.json_response(answer)
