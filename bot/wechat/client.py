"""Async client of the platform API: cached access token, messages, QR codes, media.

wechatpy's own client is blocking (``requests``); inside the Rasa server's event
loop every call must be async, hence this small aiohttp client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from bot.wechat.config import DEFAULT_API_BASE_URL
from bot.wechat.errors import (
    AccessTokenError,
    CustomerServiceQuotaExceeded,
    CustomerServiceWindowClosed,
    WeChatApiError,
    WeChatTransportError,
)

logger = logging.getLogger(__name__)

#: errcodes meaning "this access token is no longer valid": refresh once, retry once.
TOKEN_INVALID_CODES = frozenset({40001, 40014, 42001})
WINDOW_CLOSED = 45015
QUOTA_EXCEEDED = 45047
#: Where WeChat serves the picture of a QR code by its ticket.
SHOW_QRCODE_URL = "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket="
#: WeChat's permanent QR code with a string scene (at most 100,000 per account).
PERMANENT_STR_SCENE = "QR_LIMIT_STR_SCENE"


@dataclass(frozen=True)
class QrCode:
    """A parametric QR code as ``qrcode/create`` returns it.

    Attributes:
        scene: The scene string it carries.
        ticket: The ticket its picture is fetched with.
        url: What the code encodes (print this, or the picture).
    """

    scene: str
    ticket: str
    url: str

    @property
    def image_url(self) -> str:
        """The picture of the code (``showqrcode``, no access token needed)."""
        return SHOW_QRCODE_URL + quote(self.ticket, safe="")


@dataclass(frozen=True)
class Media:
    """A file downloaded from the platform.

    Attributes:
        data: Its bytes; ``max_bytes + 1`` of them when it is larger, so a
            size check refuses it.
        content_type: The type the platform declared (not trusted).
    """

    data: bytes
    content_type: str


def _api_error(errcode: int, errmsg: str) -> WeChatApiError:
    if errcode == WINDOW_CLOSED:
        return CustomerServiceWindowClosed(errcode, errmsg)
    if errcode == QUOTA_EXCEEDED:
        return CustomerServiceQuotaExceeded(errcode, errmsg)
    return WeChatApiError(errcode, errmsg)


class WeChatApiClient:
    """The access token, ``message/custom/send`` and ``qrcode/create``, over aiohttp.

    The token is cached and refreshed ``refresh_margin`` seconds before it
    expires, and once more when the platform says it is invalid (another
    process may have fetched a newer one). Concurrent callers share one
    refresh.

    Args:
        app_id: ``WECHAT_APP_ID``.
        app_secret: ``WECHAT_APP_SECRET``.
        base_url: ``WECHAT_API_BASE_URL``.
        timeout: Seconds per HTTP call.
        refresh_margin: Refresh this many seconds before the token expires.
        session: An aiohttp session to use (the client closes only its own).
        clock: Monotonic clock, for tests.
    """

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        base_url: str = DEFAULT_API_BASE_URL,
        *,
        timeout: float = 5.0,
        refresh_margin: float = 300.0,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app_id = app_id
        self._app_secret = app_secret
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._refresh_margin = refresh_margin
        self._session = session
        self._owns_session = session is None
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock: asyncio.Lock | None = None

    async def close(self) -> None:
        """Close the HTTP session if this client opened it."""
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
            self._owns_session = True
        return self._session

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str],
        body: Any = None,
        form: aiohttp.FormData | None = None,
    ) -> dict[str, Any]:
        data: Any = form
        headers = {}
        if body is not None:
            # WeChat wants UTF-8 text, not \\u escapes.
            data = json.dumps(body, ensure_ascii=False).encode("utf-8")
            headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            async with self._http().request(
                method,
                f"{self._base_url}{path}",
                params=params,
                data=data,
                headers=headers,
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise WeChatTransportError(
                        f"{path} answered HTTP {response.status}"
                    )
                payload = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise WeChatTransportError(f"{path}: {type(error).__name__}") from error
        if not isinstance(payload, dict):
            raise WeChatTransportError(f"{path} answered {type(payload).__name__}")
        return payload

    async def access_token(self, *, stale: str | None = None) -> str:
        """A valid access token, fetched only when needed.

        Args:
            stale: A token the platform just refused; refetch unless another
                caller already replaced it.

        Returns:
            The access token.

        Raises:
            AccessTokenError: The platform refused (wrong secret, IP not allowed …).
            WeChatTransportError: The platform could not be reached.
        """
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            fresh = self._token is not None and self._clock() < self._expires_at
            if fresh and (stale is None or self._token != stale):
                assert self._token is not None
                return self._token
            payload = await self._call(
                "GET",
                "/cgi-bin/token",
                params={
                    "grant_type": "client_credential",
                    "appid": self._app_id,
                    "secret": self._app_secret,
                },
            )
            token = payload.get("access_token")
            if not token:
                raise AccessTokenError(
                    int(payload.get("errcode", -1)), str(payload.get("errmsg", ""))
                )
            lifetime = float(payload.get("expires_in", 7200))
            self._token = str(token)
            self._expires_at = self._clock() + max(
                lifetime - self._refresh_margin, lifetime / 2
            )
            logger.info("WeChat access token refreshed (valid %ss)", int(lifetime))
            return self._token

    async def _with_token(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = await self.access_token()
        payload = await self._call(
            "POST", path, params={"access_token": token}, body=body
        )
        errcode = int(payload.get("errcode", 0))
        if errcode in TOKEN_INVALID_CODES:
            logger.warning("WeChat access token refused (%s), refreshing once", errcode)
            token = await self.access_token(stale=token)
            payload = await self._call(
                "POST", path, params={"access_token": token}, body=body
            )
            errcode = int(payload.get("errcode", 0))
        if errcode != 0:
            raise _api_error(errcode, str(payload.get("errmsg", "")))
        return payload

    async def send_text(self, openid: str, content: str) -> None:
        """Send a customer-service text message (客服消息) to a shopper.

        Also what the agent console uses to answer on behalf of a human agent.

        Args:
            openid: The shopper.
            content: The text.

        Raises:
            CustomerServiceWindowClosed: 45015, no shopper message for 48 hours.
            CustomerServiceQuotaExceeded: 45047, too many messages without a reply.
            WeChatApiError: Any other errcode (after one token refresh).
            WeChatTransportError: The platform could not be reached.
        """
        await self._with_token(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "text", "text": {"content": content}},
        )

    async def upload_image(self, data: bytes, filename: str) -> str:
        """Upload a picture as temporary media (``media/upload``, type image).

        WeChat keeps it three days and takes JPEG, PNG and GIF (BMP) up to
        10 MB (``media_id`` is what an image message carries).

        Args:
            data: The picture.
            filename: Its file name (the platform reads the type from it too).

        Returns:
            The ``media_id``.

        Raises:
            WeChatApiError: The platform refused (after one token refresh),
                e.g. 40005 for a type it does not take.
            WeChatTransportError: The platform could not be reached.
        """
        token = await self.access_token()
        payload = await self._upload(data, filename, token)
        errcode = int(payload.get("errcode", 0))
        if errcode in TOKEN_INVALID_CODES:
            logger.warning("WeChat access token refused (%s), refreshing once", errcode)
            token = await self.access_token(stale=token)
            payload = await self._upload(data, filename, token)
            errcode = int(payload.get("errcode", 0))
        if errcode != 0 or not payload.get("media_id"):
            raise _api_error(errcode or -1, str(payload.get("errmsg", "")))
        return str(payload["media_id"])

    async def _upload(self, data: bytes, filename: str, token: str) -> dict[str, Any]:
        path = "/cgi-bin/media/upload"
        form = aiohttp.FormData()
        form.add_field("media", data, filename=filename)
        return await self._call(
            "POST", path, params={"access_token": token, "type": "image"}, form=form
        )

    async def send_image(self, openid: str, data: bytes, filename: str) -> None:
        """Upload a picture, then send it as a customer-service image message.

        Raises:
            CustomerServiceWindowClosed: 45015, no shopper message for 48 hours.
            CustomerServiceQuotaExceeded: 45047, too many messages without a reply.
            WeChatApiError: Any other errcode (after one token refresh).
            WeChatTransportError: The platform could not be reached.
        """
        media_id = await self.upload_image(data, filename)
        await self._with_token(
            "/cgi-bin/message/custom/send",
            {"touser": openid, "msgtype": "image", "image": {"media_id": media_id}},
        )

    async def get_media(self, media_id: str, max_bytes: int) -> Media:
        """Download a temporary medium a shopper sent (``media/get``).

        The platform answers the file itself, or JSON with an ``errcode``
        (e.g. 40007 invalid media_id). At most ``max_bytes + 1`` bytes are
        read, so an oversized file is recognised without keeping all of it.

        Args:
            media_id: The message's ``MediaId``.
            max_bytes: The largest file wanted.

        Returns:
            The bytes and the type the platform declared.

        Raises:
            WeChatApiError: The platform refused (after one token refresh).
            WeChatTransportError: The platform could not be reached.
        """
        token = await self.access_token()
        media = await self._download(media_id, token, max_bytes)
        if isinstance(media, WeChatApiError) and media.errcode in TOKEN_INVALID_CODES:
            logger.warning(
                "WeChat access token refused (%s), refreshing", media.errcode
            )
            token = await self.access_token(stale=token)
            media = await self._download(media_id, token, max_bytes)
        if isinstance(media, WeChatApiError):
            raise media
        return media

    async def _download(
        self, media_id: str, token: str, max_bytes: int
    ) -> Media | WeChatApiError:
        path = "/cgi-bin/media/get"
        try:
            async with self._http().get(
                f"{self._base_url}{path}",
                params={"access_token": token, "media_id": media_id},
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise WeChatTransportError(
                        f"{path} answered HTTP {response.status}"
                    )
                kind = response.content_type
                data = await response.content.read(max_bytes + 1)
                if kind in ("application/json", "text/plain") and data[:1] == b"{":
                    payload = json.loads(data.decode("utf-8"))
                    return _api_error(
                        int(payload.get("errcode", -1)), str(payload.get("errmsg", ""))
                    )
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise WeChatTransportError(f"{path}: {type(error).__name__}") from error
        return Media(data, kind)

    async def create_qrcode(self, scene: str) -> QrCode:
        """Create a permanent QR code carrying a string scene (``QR_LIMIT_STR_SCENE``).

        Args:
            scene: The scene string, 1 to 64 characters (e.g. ``warranty:SN…``).

        Returns:
            The code's ticket and URL.

        Raises:
            WeChatApiError: The platform refused (e.g. 40053 invalid action_info).
            WeChatTransportError: Unreachable, or an answer without a ticket.
        """
        payload = await self._with_token(
            "/cgi-bin/qrcode/create",
            {
                "action_name": PERMANENT_STR_SCENE,
                "action_info": {"scene": {"scene_str": scene}},
            },
        )
        ticket = payload.get("ticket")
        if not ticket:
            raise WeChatTransportError("/cgi-bin/qrcode/create answered no ticket")
        return QrCode(scene=scene, ticket=str(ticket), url=str(payload.get("url", "")))
