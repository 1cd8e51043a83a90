r"""A WeCom 微信客服 (kf) platform simulator, for tests and local trials.

It plays both roles WeCom plays towards our server, independent of the
channel's code (only wechatpy's enterprise crypto is shared, as the peer):

* the **pusher**: :meth:`WeComPlatform.push_callback` signs and encrypts a
  ``kf_msg_or_event`` callback (with a fresh sync token) and POSTs it to the
  channel; :meth:`WeComPlatform.verify_url` plays the URL verification.
* the **API**: ``gettoken``, ``kf/sync_msg`` (cursor paging, ``has_more``),
  ``kf/send_msg`` and ``kf/send_msg_on_event`` (session-state and quota checks
  with WeCom's error codes: 95018 wrong state, 95001 quota of 5 per shopper
  message), ``kf/service_state/get`` and ``kf/service_state/trans``, and
  ``media/upload`` / ``media/get`` (``bot.devtools.wecom_media_api``).

Everything a shopper would see lands in ``outbox`` in order; refused sends in
``refused``.

Try it by hand against a running Rasa server (the channel's ``WECOM_*``
settings must match the simulator's, ``WECOM_API_BASE_URL`` its address)::

    python -m bot.devtools.wecom_simulator --url http://127.0.0.1:5005 \
        --port 8901 --token "$WECOM_TOKEN" --aes-key "$WECOM_AES_KEY" "我的快递到哪了"
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import aiohttp
import defusedxml.ElementTree as SafeElementTree
from aiohttp import web
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.devtools.wecom_media_api import WeComMediaApi

WEBHOOK_PATH = "/webhooks/wecom/webhook"
CORP_ID = "ww0123456789abcdef"
KF_SECRET = "simulator-kf-secret"  # noqa: S105 - the simulator's own
OPEN_KFID = "wkXiaokeSim0001"
QUOTA = 5  # messages per shopper message (within 48 h)
BOT_STATES = (0, 1)
Handler = Callable[[dict[str, Any]], web.Response]


@dataclass
class Sent:
    """A message the platform delivered to (or refused for) a shopper."""

    open_kfid: str
    external_userid: str
    text: str
    via: str  # send_msg, welcome
    errcode: int = 0
    image: bytes | None = None  # an image message's picture (text "[图片]")


@dataclass
class Session:
    """One shopper's session with a kf account."""

    state: int = 0
    servicer: str = ""
    quota_left: int = QUOTA


@dataclass
class WeComPlatform:
    """The simulated platform. ``await start()`` it, then push messages.

    Attributes:
        token: The callback token (``WECOM_TOKEN``).
        aes_key: The EncodingAESKey (``WECOM_AES_KEY``).
        server_url: Base URL of the Rasa server (the webhook path is added).
        page_size: Largest ``sync_msg`` page (small values exercise paging).
    """

    token: str
    aes_key: str
    corp_id: str = CORP_ID
    kf_secret: str = KF_SECRET
    server_url: str = ""
    page_size: int = 1000
    outbox: list[Sent] = field(default_factory=list)
    refused: list[Sent] = field(default_factory=list)
    sync_calls: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    token_requests: int = 0
    sessions: dict[tuple[str, str], Session] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.crypto = WeChatCrypto(self.token, self.aes_key, self.corp_id)
        self._log: dict[str, list[dict[str, Any]]] = {}
        self._access_tokens: set[str] = set()
        self._sync_tokens: set[str] = set()
        self._welcome_codes: dict[str, tuple[str, str, float]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self._delivered: asyncio.Event | None = None
        self.api_url = ""
        self.media = WeComMediaApi(lambda token: token in self._access_tokens)

    # --- lifecycle -------------------------------------------------------
    def app(self) -> web.Application:
        """The kf API's aiohttp application."""
        app = web.Application()
        app.router.add_get("/cgi-bin/gettoken", self._gettoken)
        for path, handler in (
            ("sync_msg", self._sync_msg),
            ("send_msg", self._send_msg),
            ("send_msg_on_event", self._send_on_event),
            ("service_state/get", self._state_get),
            ("service_state/trans", self._state_trans),
        ):
            app.router.add_post(f"/cgi-bin/kf/{path}", self._api(handler))
        self.media.add_routes(app)
        return app

    async def start(self, port: int = 0) -> str:
        """Serve the API on 127.0.0.1; returns its base URL."""
        # Made here, in the loop that serves: the state outlives a restart.
        self._delivered = asyncio.Event()
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        self.api_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        self._http = aiohttp.ClientSession()
        return self.api_url

    async def stop(self) -> None:
        """Close the HTTP session and stop serving."""
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- what shoppers and agents do ---------------------------------------
    def session(self, open_kfid: str, external_userid: str) -> Session:
        """The shopper's session (created in state 0)."""
        return self.sessions.setdefault((open_kfid, external_userid), Session())

    def _append(self, open_kfid: str, entry: dict[str, Any]) -> str:
        msgid = entry.setdefault("msgid", f"sim-{next(self._ids):06d}")
        entry.setdefault("open_kfid", open_kfid)
        entry.setdefault("send_time", int(time.time()))
        self._log.setdefault(open_kfid, []).append(entry)
        return str(msgid)

    def _customer_wrote(self, open_kfid: str, external_userid: str) -> None:
        session = self.session(open_kfid, external_userid)
        if session.state == 4:
            session.state, session.servicer = 0, ""
        session.quota_left = QUOTA

    def customer_says(
        self,
        external_userid: str,
        text: str,
        *,
        open_kfid: str = OPEN_KFID,
        msgid: str | None = None,
    ) -> str:
        """The shopper sends a text; returns its msgid (reuse one to duplicate)."""
        self._customer_wrote(open_kfid, external_userid)
        entry: dict[str, Any] = {
            "external_userid": external_userid,
            "origin": 3,
            "msgtype": "text",
            "text": {"content": text},
        }
        if msgid:
            entry["msgid"] = msgid
        return self._append(open_kfid, entry)

    def customer_sends(
        self,
        external_userid: str,
        msgtype: str,
        *,
        open_kfid: str = OPEN_KFID,
        data: bytes | None = None,
    ) -> str:
        """The shopper sends an image, voice …: ``media/get`` serves ``data``."""
        self._customer_wrote(open_kfid, external_userid)
        media_id = self.media.keep(data) if data is not None else secrets.token_hex(8)
        return self._append(
            open_kfid,
            {
                "external_userid": external_userid,
                "origin": 3,
                "msgtype": msgtype,
                msgtype: {"media_id": media_id},
            },
        )

    def enter_session(self, external_userid: str, *, open_kfid: str = OPEN_KFID) -> str:
        """The shopper opens the chat: ``enter_session`` with a welcome code."""
        code = secrets.token_hex(12)
        self._welcome_codes[code] = (open_kfid, external_userid, time.time())
        self.session(open_kfid, external_userid)
        return self._append(
            open_kfid,
            {
                "origin": 4,
                "msgtype": "event",
                "event": {
                    "event_type": "enter_session",
                    "open_kfid": open_kfid,
                    "external_userid": external_userid,
                    "scene": "xiaoke",
                    "welcome_code": code,
                },
            },
        )

    def end_session(self, external_userid: str, *, open_kfid: str = OPEN_KFID) -> str:
        """The WeCom agent ends the session (state 4, ``change_type`` 3 event)."""
        session = self.session(open_kfid, external_userid)
        servicer, session.state, session.servicer = session.servicer, 4, ""
        return self._append(
            open_kfid,
            {
                "origin": 4,
                "msgtype": "event",
                "event": {
                    "event_type": "session_status_change",
                    "open_kfid": open_kfid,
                    "external_userid": external_userid,
                    "change_type": 3,
                    "old_servicer_userid": servicer,
                },
            },
        )

    def texts_for(self, external_userid: str) -> list[str]:
        """What the shopper has read so far."""
        return [s.text for s in self.outbox if s.external_userid == external_userid]

    async def wait_for(
        self, external_userid: str, count: int, timeout: float = 30.0
    ) -> list[str]:
        """Wait until the shopper has read ``count`` messages; return them all.

        Raises:
            TimeoutError: Fewer arrived in time.
        """
        deadline = time.monotonic() + timeout
        while len(self.texts_for(external_userid)) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(
                    f"{external_userid} read {self.texts_for(external_userid)}"
                )
            assert self._delivered is not None, "start() first"
            self._delivered.clear()
            try:
                await asyncio.wait_for(self._delivered.wait(), min(left, 0.5))
            except asyncio.TimeoutError:
                pass
        return self.texts_for(external_userid)

    # --- the pusher ------------------------------------------------------
    def _signed(self, plaintext: str) -> tuple[str, dict[str, str]]:
        nonce = secrets.token_hex(8)
        timestamp = str(int(time.time()))
        sealed = self.crypto.encrypt_message(plaintext, nonce, timestamp)
        fields = _fields(SafeElementTree.fromstring(sealed))
        params = {
            "msg_signature": fields["MsgSignature"],
            "timestamp": timestamp,
            "nonce": nonce,
        }
        return fields["Encrypt"], params

    async def push_callback(
        self, open_kfid: str = OPEN_KFID, *, params: dict[str, str] | None = None
    ) -> tuple[int, str]:
        """POST a signed, encrypted ``kf_msg_or_event`` callback to the channel.

        Args:
            open_kfid: The kf account with new messages.
            params: Query parameters to send instead of the right ones (forgery).

        Returns:
            The HTTP status and body of the channel's answer.
        """
        sync_token = secrets.token_hex(16)
        self._sync_tokens.add(sync_token)
        inner = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[kf_msg_or_event]]></Event>"
            f"<Token><![CDATA[{sync_token}]]></Token>"
            f"<OpenKfId><![CDATA[{open_kfid}]]></OpenKfId></xml>"
        )
        encrypted, signed = self._signed(inner)
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id}]]></ToUserName>"
            f"<AgentID><![CDATA[]]></AgentID>"
            f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        )
        return await self.post_raw(body, params if params is not None else signed)

    async def post_raw(self, body: str, params: dict[str, str]) -> tuple[int, str]:
        """POST any body to the channel's callback URL (bad input tests)."""
        assert self._http is not None, "start() first"
        async with self._http.post(
            self.server_url + WEBHOOK_PATH, params=params, data=body.encode()
        ) as answer:
            return answer.status, await answer.text()

    async def verify_url(self) -> tuple[int, str, str]:
        """Play the URL verification; returns status, body and the expected echo."""
        assert self._http is not None, "start() first"
        echo = secrets.token_hex(10)
        encrypted, params = self._signed(echo)
        params["echostr"] = encrypted
        async with self._http.get(
            self.server_url + WEBHOOK_PATH, params=params
        ) as answer:
            return answer.status, await answer.text(), echo

    # --- the API ---------------------------------------------------------
    async def _gettoken(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        if request.query.get("corpid") != self.corp_id:
            return _answer(40013, "invalid corpid")
        if request.query.get("corpsecret") != self.kf_secret:
            return _answer(40001, "invalid secret")
        token = secrets.token_hex(16)
        self._access_tokens.add(token)
        return _answer(0, "ok", access_token=token, expires_in=7200)

    def _api(self, handler: Handler) -> Callable[[web.Request], Awaitable[Any]]:
        """Wrap ``handler(body)``: access token checked, JSON body parsed."""

        async def endpoint(request: web.Request) -> web.Response:
            if request.query.get("access_token", "") not in self._access_tokens:
                return _answer(40014, "invalid access_token")
            body = await request.json()
            if not isinstance(body, dict):
                return _answer(47001, "data format error")
            return handler(body)

        return endpoint

    def _sync_msg(self, body: dict[str, Any]) -> web.Response:
        self.sync_calls.append(body)
        log = self._log.get(str(body.get("open_kfid", "")), [])
        cursor = str(body.get("cursor") or "0")
        if not cursor.isdigit():
            return _answer(95000, "invalid cursor")
        start = int(cursor)
        page = log[start : start + min(int(body.get("limit") or 1000), self.page_size)]
        end = start + len(page)
        return _answer(
            0, "ok", next_cursor=str(end), has_more=int(end < len(log)), msg_list=page
        )

    def _record(self, sent: Sent, errcode: int = 0, errmsg: str = "ok") -> web.Response:
        sent.errcode = errcode
        (self.refused if errcode else self.outbox).append(sent)
        if self._delivered is not None:
            self._delivered.set()
        if errcode:
            return _answer(errcode, errmsg)
        return _answer(0, "ok", msgid=f"out-{next(self._ids):06d}")

    def _send_msg(self, body: dict[str, Any]) -> web.Response:
        open_kfid, user = str(body.get("open_kfid")), str(body.get("touser"))
        text = str((body.get("text") or {}).get("content", ""))
        sent = Sent(open_kfid, user, text, "send_msg")
        if body.get("msgtype") == "image":
            medium = self.media.media.get(
                str((body.get("image") or {}).get("media_id"))
            )
            if medium is None:
                return self._record(sent, 40007, "invalid media_id")
            sent.text, sent.image = "[图片]", medium.data
        session = self.sessions.get((open_kfid, user))
        if session is None:
            return self._record(sent, 95000, "invalid touser")
        if session.state not in BOT_STATES:
            return self._record(sent, 95018, "invalid session status")
        if session.quota_left <= 0:
            return self._record(sent, 95001, "send msg count limit")
        session.quota_left -= 1
        session.state = 1  # an API answer makes the bot the session's owner
        return self._record(sent)

    def _send_on_event(self, body: dict[str, Any]) -> web.Response:
        text = str((body.get("text") or {}).get("content", ""))
        issued = self._welcome_codes.pop(str(body.get("code", "")), None)
        if issued is None or time.time() - issued[2] > 20:  # once, within 20 s
            return self._record(Sent("", "", text, "welcome"), 95000, "invalid code")
        return self._record(Sent(issued[0], issued[1], text, "welcome"))

    def _state_get(self, body: dict[str, Any]) -> web.Response:
        session = self.session(
            str(body.get("open_kfid")), str(body.get("external_userid"))
        )
        return _answer(
            0, "ok", service_state=session.state, servicer_userid=session.servicer
        )

    def _state_trans(self, body: dict[str, Any]) -> web.Response:
        self.transfers.append(body)
        session = self.session(
            str(body.get("open_kfid")), str(body.get("external_userid"))
        )
        target = int(body.get("service_state", -1))
        servicer = str(body.get("servicer_userid") or "")
        if target not in (0, 1, 2, 3, 4) or session.state == 4:
            return _answer(95016, "invalid service state transition")
        if target == 3 and not servicer:
            return _answer(95014, "servicer_userid required")
        session.state, session.servicer = target, servicer
        return _answer(0, "ok")


def _answer(errcode: int, errmsg: str, **fields: Any) -> web.Response:
    return web.json_response({"errcode": errcode, "errmsg": errmsg, **fields})


def _fields(root: Element) -> dict[str, str]:
    return {child.tag: (child.text or "") for child in root}


if __name__ == "__main__":
    from bot.devtools.wecom_simulator_cli import main

    main()
