"""Async client of the kf API: cached token, sync_msg, send_msg, service state.

wechatpy 1.8 has the enterprise crypto but no kf API (only the unreleased 2.x),
and its client blocks; inside the Rasa server's event loop every call must be
async, hence this small aiohttp client, built like :mod:`bot.wechat.client`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from bot.wecom.config import DEFAULT_API_BASE_URL
from bot.wecom.errors import (
    AccessTokenError,
    SendQuotaExceeded,
    SendRefused,
    SendWindowClosed,
    SessionStateRefused,
    WeComApiError,
    WeComTransportError,
)
from bot.wecom.messages import KfMessage, parse_kf_message

logger = logging.getLogger(__name__)

#: errcodes meaning "this access token is no longer valid": refresh once, retry once.
TOKEN_INVALID_CODES = frozenset({40014, 42001})
QUOTA_EXCEEDED = 95001
WINDOW_CLOSED = 95002
WRONG_SESSION_STATE = 95018
_SEND_ERRORS: dict[int, type[SendRefused]] = {
    QUOTA_EXCEEDED: SendQuotaExceeded,
    WINDOW_CLOSED: SendWindowClosed,
    WRONG_SESSION_STATE: SessionStateRefused,
}


@dataclass(frozen=True)
class SyncPage:
    """One ``kf/sync_msg`` answer.

    Attributes:
        messages: The page's messages (unreadable entries dropped).
        next_cursor: Where the next pull starts.
        has_more: Whether another page is waiting.
    """

    messages: list[KfMessage]
    next_cursor: str
    has_more: bool


@dataclass(frozen=True)
class ServiceState:
    """A session's ``service_state``.

    0 未处理, 1 智能助手, 2 待接入池, 3 由人工接待, 4 已结束.
    """

    state: int
    servicer_userid: str = ""


class WeComKfClient:
    """The kf API over aiohttp.

    Args:
        corp_id: ``WECOM_CORP_ID``.
        secret: ``WECOM_KF_SECRET``.
        base_url: ``WECOM_API_BASE_URL``.
        timeout: Seconds per HTTP call.
        refresh_margin: Refresh the token this many seconds before it expires.
        session: An aiohttp session to use (the client closes only its own).
        clock: Monotonic clock, for tests.
    """

    def __init__(
        self,
        corp_id: str,
        secret: str,
        base_url: str = DEFAULT_API_BASE_URL,
        *,
        timeout: float = 5.0,
        refresh_margin: float = 300.0,
        session: aiohttp.ClientSession | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._corp_id = corp_id
        self._secret = secret
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
        self, method: str, path: str, *, params: dict[str, str], body: Any = None
    ) -> dict[str, Any]:
        data = None
        headers = {}
        if body is not None:
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
                    raise WeComTransportError(f"{path} answered HTTP {response.status}")
                payload = await response.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            raise WeComTransportError(f"{path}: {type(error).__name__}") from error
        if not isinstance(payload, dict):
            raise WeComTransportError(f"{path} answered {type(payload).__name__}")
        return payload

    async def access_token(self, *, stale: str | None = None) -> str:
        """A valid access token (``gettoken``), fetched only when needed.

        Args:
            stale: A token the platform just refused; refetch unless replaced.

        Raises:
            AccessTokenError: The platform refused to issue one.
            WeComTransportError: The platform could not be reached.
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
                "/cgi-bin/gettoken",
                params={"corpid": self._corp_id, "corpsecret": self._secret},
            )
            token = payload.get("access_token")
            if not token or int(payload.get("errcode", 0)) != 0:
                raise AccessTokenError(
                    int(payload.get("errcode", -1)), str(payload.get("errmsg", ""))
                )
            lifetime = float(payload.get("expires_in", 7200))
            self._token = str(token)
            self._expires_at = self._clock() + max(
                lifetime - self._refresh_margin, lifetime / 2
            )
            logger.info("WeCom access token refreshed (valid %ss)", int(lifetime))
            return self._token

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        token = await self.access_token()
        payload = await self._call(
            "POST", path, params={"access_token": token}, body=body
        )
        errcode = int(payload.get("errcode", 0))
        if errcode in TOKEN_INVALID_CODES:
            logger.warning("WeCom access token refused (%s), refreshing once", errcode)
            token = await self.access_token(stale=token)
            payload = await self._call(
                "POST", path, params={"access_token": token}, body=body
            )
        return payload

    async def _checked(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        payload = await self._post(path, body)
        errcode = int(payload.get("errcode", 0))
        if errcode != 0:
            raise WeComApiError(errcode, str(payload.get("errmsg", "")))
        return payload

    async def _send(self, path: str, body: dict[str, Any]) -> str:
        payload = await self._post(path, body)
        errcode = int(payload.get("errcode", 0))
        if errcode != 0:
            error_type = _SEND_ERRORS.get(errcode, SendRefused)
            raise error_type(errcode, str(payload.get("errmsg", "")))
        return str(payload.get("msgid", ""))

    async def sync_msg(
        self, open_kfid: str, cursor: str, token: str, limit: int = 1000
    ) -> SyncPage:
        """Pull one page of messages after ``cursor`` (``kf/sync_msg``).

        Args:
            open_kfid: The kf account.
            cursor: Where the last pull ended ("" for the start).
            token: The callback's ``Token`` ("" without one: rate limited).
            limit: Page size (at most 1000).

        Raises:
            WeComApiError: The platform refused.
            WeComTransportError: The platform could not be reached.
        """
        body: dict[str, Any] = {"open_kfid": open_kfid, "limit": limit}
        if cursor:
            body["cursor"] = cursor
        if token:
            body["token"] = token
        payload = await self._checked("/cgi-bin/kf/sync_msg", body)
        raw_list = payload.get("msg_list") or []
        messages = [
            message
            for message in (
                parse_kf_message(raw) for raw in raw_list if isinstance(raw, dict)
            )
            if message is not None
        ]
        return SyncPage(
            messages=messages,
            next_cursor=str(payload.get("next_cursor") or cursor),
            has_more=bool(payload.get("has_more")),
        )

    async def send_text(self, open_kfid: str, external_userid: str, text: str) -> str:
        """Send a text to a shopper (``kf/send_msg``); return its msgid.

        Raises:
            SessionStateRefused: 95018, the session is not the bot's to answer.
            SendQuotaExceeded: 95001, the 5 messages after the shopper's are spent.
            SendWindowClosed: 95002, the shopper wrote more than 48 h ago.
            SendRefused: Any other refusal.
            WeComTransportError: The platform could not be reached.
        """
        return await self._send(
            "/cgi-bin/kf/send_msg",
            {
                "touser": external_userid,
                "open_kfid": open_kfid,
                "msgtype": "text",
                "text": {"content": text},
            },
        )

    async def send_image(
        self, open_kfid: str, external_userid: str, media_id: str
    ) -> str:
        """Send an uploaded picture to a shopper (``kf/send_msg``, msgtype image).

        Raises:
            SendRefused: As for :meth:`send_text`.
            WeComTransportError: The platform could not be reached.
        """
        return await self._send(
            "/cgi-bin/kf/send_msg",
            {
                "touser": external_userid,
                "open_kfid": open_kfid,
                "msgtype": "image",
                "image": {"media_id": media_id},
            },
        )

    async def upload_image(self, data: bytes, filename: str) -> str:
        """Upload a picture as temporary media (``media/upload``); its media_id.

        WeCom keeps it three days and takes JPG and PNG up to 10 MB.

        Raises:
            WeComApiError: The platform refused (after one token refresh).
            WeComTransportError: The platform could not be reached.
        """
        payload = await self._media("POST", "/cgi-bin/media/upload", data, filename)
        if not payload.get("media_id"):
            raise WeComApiError(-1, "media/upload answered no media_id")
        return str(payload["media_id"])

    async def get_media(self, media_id: str, max_bytes: int) -> tuple[bytes, str]:
        """Download a shopper's picture (``media/get``): at most ``max_bytes + 1``.

        Returns:
            The bytes and the type the platform declared (not trusted).

        Raises:
            WeComApiError: The platform answered an errcode (after one refresh).
            WeComTransportError: The platform could not be reached.
        """
        payload = await self._media("GET", "/cgi-bin/media/get", media_id, max_bytes)
        return payload["data"], payload["content_type"]

    async def _media(
        self, method: str, path: str, what: Any, extra: Any
    ) -> dict[str, Any]:
        """``media/upload`` (bytes, file name) or ``media/get`` (id, size cap)."""
        token = await self.access_token()
        payload = await self._media_once(method, path, what, extra, token)
        if int(payload.get("errcode", 0)) in TOKEN_INVALID_CODES:
            token = await self.access_token(stale=token)
            payload = await self._media_once(method, path, what, extra, token)
        errcode = int(payload.get("errcode", 0))
        if errcode != 0:
            raise WeComApiError(errcode, str(payload.get("errmsg", "")))
        return payload

    async def _media_once(
        self, method: str, path: str, what: Any, extra: Any, token: str
    ) -> dict[str, Any]:
        params = {"access_token": token}
        form = None
        if method == "POST":
            params["type"] = "image"
            form = aiohttp.FormData()
            form.add_field("media", what, filename=extra)
        else:
            params["media_id"] = what
        try:
            async with self._http().request(
                method,
                f"{self._base_url}{path}",
                params=params,
                data=form,
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise WeComTransportError(f"{path} answered HTTP {response.status}")
                kind = response.content_type
                data = await response.content.read(extra + 1 if method == "GET" else -1)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise WeComTransportError(f"{path}: {type(error).__name__}") from error
        if method == "GET" and not (
            kind in ("application/json", "text/plain") and data[:1] == b"{"
        ):
            return {"data": data, "content_type": kind}
        try:
            payload = json.loads(data.decode("utf-8"))
        except ValueError as error:
            raise WeComTransportError(f"{path}: not JSON") from error
        if not isinstance(payload, dict):
            raise WeComTransportError(f"{path} answered {type(payload).__name__}")
        return payload

    async def send_welcome(self, welcome_code: str, text: str) -> str:
        """Welcome a shopper entering a session (``kf/send_msg_on_event``).

        Raises:
            SendRefused: The code is used or expired (20 s), or another refusal.
            WeComTransportError: The platform could not be reached.
        """
        return await self._send(
            "/cgi-bin/kf/send_msg_on_event",
            {"code": welcome_code, "msgtype": "text", "text": {"content": text}},
        )

    async def service_state(self, open_kfid: str, external_userid: str) -> ServiceState:
        """The session's state (``kf/service_state/get``).

        Raises:
            WeComApiError: The platform refused.
            WeComTransportError: The platform could not be reached.
        """
        payload = await self._checked(
            "/cgi-bin/kf/service_state/get",
            {"open_kfid": open_kfid, "external_userid": external_userid},
        )
        return ServiceState(
            int(payload.get("service_state", 0)),
            str(payload.get("servicer_userid") or ""),
        )

    async def transfer(
        self,
        open_kfid: str,
        external_userid: str,
        service_state: int,
        servicer_userid: str = "",
    ) -> None:
        """Move the session to another state (``kf/service_state/trans``).

        Raises:
            WeComApiError: The platform refused (e.g. 95016, not allowed).
            WeComTransportError: The platform could not be reached.
        """
        body: dict[str, Any] = {
            "open_kfid": open_kfid,
            "external_userid": external_userid,
            "service_state": service_state,
        }
        if servicer_userid:
            body["servicer_userid"] = servicer_userid
        await self._checked("/cgi-bin/kf/service_state/trans", body)
