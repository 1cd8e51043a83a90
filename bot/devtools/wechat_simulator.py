r"""A WeChat Official Account platform simulator, for tests and local trials.

It plays both roles the real platform plays towards our server:

* the **pusher**: it builds shopper messages and events, signs them and, in
  compatible and safe modes, encrypts them exactly as WeChat does, with wechatpy
  (the independent peer: our channel's code is never used here). Like WeChat, it
  waits ``attempt_timeout`` seconds (5 by default) for an answer and tries up to
  ``attempts`` times (3) in all, then shows the shopper an error. It checks and
  decrypts passive replies as WeChat would (a text over 2048 bytes is an error).
* the **API** (``bot/devtools/wechat_platform_api.py``): ``/cgi-bin/token``,
  ``/cgi-bin/message/custom/send``, with token expiry and the 45015/45047
  refusals on demand, ``/cgi-bin/qrcode/create`` (a shopper can then follow
  the account through an issued code or scan it: ``scan``) and
  ``/cgi-bin/media/get`` serving the pictures shoppers send (``send_image``).

Everything the shopper would see lands in ``inbox[openid]`` in order.

Try it by hand against a running server::

    python -m bot.devtools.wechat_simulator --url http://127.0.0.1:5005 \
        --token "$WECHAT_TOKEN" "我的快递到哪了"
    python -m bot.devtools.wechat_simulator --token "$WECHAT_TOKEN" \
        --scan warranty:SN3F7T1W6B2X          # a follower scans a warranty card
    python -m bot.devtools.wechat_simulator --token "$WECHAT_TOKEN" \
        --image tests/fixtures/media/broken_earbuds.jpg   # send a picture
    python -m bot.devtools.wechat_simulator --serve   # only the API, until Ctrl-C
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import web
from wechatpy import parse_message
from wechatpy.crypto import WeChatCrypto

from bot.devtools.wechat_platform_api import PlatformApi

Mode = Literal["plaintext", "compatible", "safe"]
WEBHOOK_PATH = "/webhooks/wechat/webhook"
UNAVAILABLE = "该公众号暂时无法提供服务，请稍后再试"
ACCOUNT = "gh_xiaoke0001"
#: Largest passive text reply WeChat shows, in UTF-8 bytes.
PASSIVE_LIMIT = 2048


def wechat_signature(*values: str) -> str:
    """WeChat's signature: SHA-1 of the sorted values, concatenated."""
    joined = "".join(sorted(values)).encode("utf-8")
    # SHA-1 is the platform's protocol, not a choice of ours.
    return hashlib.sha1(joined).hexdigest()  # noqa: S324


@dataclass
class Delivery:
    """Something the shopper sees."""

    openid: str
    text: str
    via: Literal["passive", "custom", "error"]
    message: str = ""  # the key of the message it answers (passive, error)
    image: bytes | None = None  # an image message's picture (text "[图片]")


@dataclass
class Attempt:
    """One HTTP push of a message to the server."""

    message: str
    number: int
    status: int | None  # None: timed out
    body: str = ""
    seconds: float = 0.0


@dataclass
class PushResult:
    """Outcome of a message push (all its attempts)."""

    attempts: list[Attempt]
    accepted: Attempt | None  # the attempt whose answer WeChat used
    reply: str | None  # the passive reply text, if any


@dataclass
class WeChatPlatform:
    """The simulated platform. ``await start()`` it, then push messages.

    Attributes:
        server_url: Base URL of the Rasa server (the webhook path is added).
    """

    token: str
    app_id: str = "wx0123456789abcdef"
    app_secret: str = "simulator-secret"  # noqa: S105 - the simulator's own
    aes_key: str | None = None
    mode: Mode = "plaintext"
    server_url: str = ""
    attempt_timeout: float = 5.0
    attempts: int = 3
    token_lifetime: int = 7200
    account: str = ACCOUNT
    inbox: dict[str, list[Delivery]] = field(default_factory=dict)
    pushes: list[Attempt] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    custom_calls: list[dict[str, Any]] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)  # openid → errcode

    def __post_init__(self) -> None:
        self.api = PlatformApi(
            self.app_id,
            self.app_secret,
            self.token_lifetime,
            lambda openid, text, image=None: self._see(
                Delivery(openid, text, "custom", image=image)
            ),
            token_requests=self.token_requests,
            custom_calls=self.custom_calls,
            refuse=self.refuse,
        )
        self._seen = asyncio.Event()
        self._ids = itertools.count(int(time.time() * 1000) % 10**9 * 1000)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.api_url = ""
        self.crypto = (
            WeChatCrypto(self.token, self.aes_key, self.app_id)
            if self.aes_key
            else None
        )

    # --- lifecycle -------------------------------------------------------
    def app(self) -> web.Application:
        """The platform API's aiohttp application (token and customer service)."""
        return self.api.app()

    async def start(self, port: int = 0) -> str:
        """Serve the API on 127.0.0.1; returns its base URL."""
        self._runner = web.AppRunner(self.app())
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.api_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        # WeChat pushes from many servers: no cap on connections at once
        # (aiohttp's default of 100 would queue pushes inside the simulator).
        self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self.api_url

    async def stop(self) -> None:
        """Close the HTTP session and stop serving the API."""
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- the API side ----------------------------------------------------
    def expire_tokens(self) -> None:
        """Every issued access token expires now (next use: 42001)."""
        self.api.expire_tokens()

    # --- the pushing side ------------------------------------------------
    def _see(self, delivery: Delivery) -> None:
        self.inbox.setdefault(delivery.openid, []).append(delivery)
        self._seen.set()

    def texts(self, openid: str) -> list[str]:
        """What the shopper has read so far, in order."""
        return [delivery.text for delivery in self.inbox.get(openid, [])]

    def images(self, openid: str) -> list[bytes]:
        """The pictures the shopper has received (image messages), in order."""
        return [d.image for d in self.inbox.get(openid, []) if d.image is not None]

    def text_message(self, openid: str, content: str, msg_id: int | None = None) -> str:
        """A text message as WeChat pushes it."""
        return (
            f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[text]]></MsgType>"
            f"<Content><![CDATA[{content}]]></Content>"
            f"<MsgId>{msg_id or next(self._ids)}</MsgId></xml>"
        )

    def image_message(
        self, openid: str, media_id: str, msg_id: int | None = None
    ) -> str:
        """An image message as WeChat pushes it (``PicUrl`` and ``MediaId``)."""
        return (
            f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[http://mmbiz.qpic.cn/sim/{media_id}/0]]></PicUrl>"
            f"<MediaId><![CDATA[{media_id}]]></MediaId>"
            f"<MsgId>{msg_id or next(self._ids)}</MsgId></xml>"
        )

    async def send_image(
        self, openid: str, data: bytes, content_type: str = "image/jpeg"
    ) -> PushResult:
        """A shopper sends a picture: kept for ``media/get``, then pushed."""
        media_id = self.api.upload(data, content_type)
        return await self.push(self.image_message(openid, media_id))

    def event_message(
        self, openid: str, event: str, key: str | None = None, create_time: int = 0
    ) -> str:
        """An event push (``subscribe``, ``CLICK`` …)."""
        key_xml = f"<EventKey><![CDATA[{key}]]></EventKey>" if key is not None else ""
        return (
            f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
            f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
            f"<CreateTime>{create_time or int(time.time())}</CreateTime>"
            "<MsgType><![CDATA[event]]></MsgType>"
            f"<Event><![CDATA[{event}]]></Event>{key_xml}</xml>"
        )

    def scene_event(
        self, openid: str, scene: str, *, follow: bool, ticket: str = ""
    ) -> str:
        """A follow through a parametric QR code, or a follower's scan of one.

        A follow is ``subscribe`` with ``EventKey`` ``qrscene_<scene>``, a scan
        ``SCAN`` with ``EventKey`` ``<scene>``; both carry the code's ticket.
        """
        key = f"qrscene_{scene}" if follow else scene
        xml = self.event_message(openid, "subscribe" if follow else "SCAN", key)
        return xml.replace("</xml>", f"<Ticket><![CDATA[{ticket}]]></Ticket></xml>")

    async def scan(
        self, openid: str, ticket: str, *, follow: bool = False
    ) -> PushResult:
        """The shopper scans a code this platform issued (``follow``: and follows)."""
        code = self.api.qrcodes[ticket]
        return await self.push(
            self.scene_event(openid, code.scene, follow=follow, ticket=ticket)
        )

    def signed_request(
        self, xml: str, mode: Mode | None = None, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Query and body of one push, signed (and encrypted) for ``mode``."""
        mode = mode or self.mode
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        nonce = str(secrets.randbelow(10**10))
        fields = parse_message(xml)
        params = {
            "signature": wechat_signature(self.token, stamp, nonce),
            "timestamp": stamp,
            "nonce": nonce,
            "openid": fields.source,
        }
        if mode == "plaintext":
            return params, xml.encode("utf-8")
        assert self.crypto is not None, "compatible and safe modes need aes_key"
        sealed = self.crypto.encrypt_message(xml, nonce, stamp)
        encrypt = sealed.split("<Encrypt><![CDATA[", 1)[1].split("]]>", 1)[0]
        params["encrypt_type"] = "aes"
        params["msg_signature"] = wechat_signature(self.token, stamp, nonce, encrypt)
        if mode == "safe":
            body = (
                f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
            )
        else:  # compatible: the plaintext fields and their encrypted copy
            body = xml.replace(
                "</xml>", f"<Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"
            )
        return params, body.encode("utf-8")

    async def post(
        self,
        params: dict[str, str],
        body: Any,
        *,
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
        server_url: str | None = None,
    ) -> tuple[int | None, str]:
        """One raw POST to the webhook: (status or None on timeout, body)."""
        assert self._session is not None, "start() the simulator first"
        try:
            async with self._session.post(
                (server_url or self.server_url) + WEBHOOK_PATH,
                params=params,
                data=body,
                headers=headers or {"Content-Type": "text/xml"},
                timeout=aiohttp.ClientTimeout(total=timeout or self.attempt_timeout),
            ) as response:
                return response.status, await response.text()
        except (asyncio.TimeoutError, aiohttp.ClientError):
            # No answer in time, or the connection refused or reset: a failed
            # attempt, which the platform retries.
            return None, ""

    async def verify(self, params: dict[str, str]) -> tuple[int, str]:
        """The server-URL verification GET."""
        assert self._session is not None
        async with self._session.get(
            self.server_url + WEBHOOK_PATH, params=params
        ) as response:
            return response.status, await response.text()

    def verification_params(self, echostr: str) -> dict[str, str]:
        """A correctly signed verification request."""
        stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
        return {
            "signature": wechat_signature(self.token, stamp, nonce),
            "timestamp": stamp,
            "nonce": nonce,
            "echostr": echostr,
        }

    async def _attempt(self, key: str, number: int, xml: str, mode: Mode) -> Attempt:
        params, body = self.signed_request(xml, mode)
        started = time.monotonic()
        status, text = await self.post(params, body)
        attempt = Attempt(key, number, status, text, time.monotonic() - started)
        self.pushes.append(attempt)
        return attempt

    def _read_reply(self, xml: str, attempt: Attempt, mode: Mode) -> str | None:
        """What WeChat makes of an answer: ``None`` for none, else its text."""
        message = parse_message(xml)
        body = attempt.body.strip()
        if body in ("", "success"):
            return None
        try:
            if mode != "plaintext" and "<Encrypt>" in body:
                assert self.crypto is not None
                start = body.index("<MsgSignature><![CDATA[") + 23
                signature = body[start : body.index("]]>", start)]
                stamp = body.split("<TimeStamp>", 1)[1].split("</TimeStamp>", 1)[0]
                nonce = body.split("<Nonce><![CDATA[", 1)[1].split("]]>", 1)[0]
                body = self.crypto.decrypt_message(body, signature, stamp, nonce)
            reply = parse_message(body)
            ok = (
                reply.type == "text"
                and reply.target == message.source
                and reply.source == message.target
                and len(str(reply.content).encode("utf-8")) <= PASSIVE_LIMIT
            )
            return str(reply.content) if ok else UNAVAILABLE
        except Exception:
            return UNAVAILABLE

    async def push(
        self, xml: str, *, mode: Mode | None = None, concurrent: int = 1
    ) -> PushResult:
        """Deliver a message the way WeChat does, retrying on timeout.

        Args:
            xml: The message.
            mode: Overrides the platform's mode.
            concurrent: Send this many copies at once in the first round (a
                retry storm; each copy is signed anew), then retry in turn.

        Returns:
            Every attempt, the accepted one and the passive reply text.
        """
        mode = mode or self.mode
        message = parse_message(xml)
        key = str(message.id or f"{message.source}:{message.time}")
        made: list[Attempt] = []
        accepted: Attempt | None = None
        number = 0
        first_round = max(concurrent, 1)
        while accepted is None and number < self.attempts + first_round - 1:
            if first_round > 1:
                tasks = [
                    asyncio.create_task(self._attempt(key, number + i + 1, xml, mode))
                    for i in range(first_round)
                ]
                number += first_round
                first_round = 1
                for finished in asyncio.as_completed(tasks):
                    attempt = await finished
                    made.append(attempt)
                    if accepted is None and attempt.status == 200:
                        accepted = attempt  # WeChat takes the first answer it gets
            else:
                number += 1
                attempt = await self._attempt(key, number, xml, mode)
                made.append(attempt)
                if attempt.status == 200:
                    accepted = attempt
        if accepted is None:
            self._see(Delivery(message.source, UNAVAILABLE, "error", key))
            return PushResult(made, None, None)
        reply = self._read_reply(xml, accepted, mode)
        if reply is not None:
            via: Literal["passive", "error"] = (
                "error" if reply == UNAVAILABLE else "passive"
            )
            self._see(Delivery(message.source, reply, via, key))
        return PushResult(made, accepted, reply)

    async def say(self, openid: str, text: str) -> PushResult:
        """A shopper types ``text``."""
        return await self.push(self.text_message(openid, text))

    async def wait_for_inbox(
        self, openid: str, count: int, timeout: float = 10.0
    ) -> list[str]:
        """Wait until the shopper has read ``count`` messages; return them."""

        async def enough() -> None:
            while len(self.inbox.get(openid, [])) < count:
                self._seen.clear()
                await self._seen.wait()

        try:
            await asyncio.wait_for(enough(), timeout)
        except asyncio.TimeoutError:
            pass
        return self.texts(openid)


if __name__ == "__main__":
    # The command line lives apart (one job per module); same command as ever.
    from bot.devtools.wechat_simulator_cli import main

    main()
