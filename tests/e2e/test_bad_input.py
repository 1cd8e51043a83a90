"""A bad-input run through WeChat, REST and the agent console (issue 7).

The end-to-end modules' shared stack (``tests/support/shared_stack.py``): order
+ CRM services, action server, Rasa server with the WeChat and REST channels,
WeChat in safe (AES) mode, the console; and the WeChat simulator playing the
platform (pushes, 5-second window, customer-service API). Logs are read from
this module's start on. The REST half of the bad texts is
``tests/integration/production/test_production_cluster.py``.

Checked here:

* every bad text of :data:`BAD_INPUTS` pushed as a WeChat message gets HTTP 200
  within WeChat's window and a Chinese answer, and the shopper is then still
  served normally;
* pushes WeChat would never send (malformed XML, DTDs with entity bombs or
  external entities, bad signatures, oversized bodies) are refused with a 4xx
  before anything is processed; message types the bot cannot read get a
  Chinese "text only" answer or nothing;
* injected HTML/script reaches the agent console and the shopper web chat as
  text, in a real browser: no element made from it, no dialog, no console error;
* a huge message on any channel (REST, WeChat, the web chat) is cut or refused
  quickly, the cut is recorded in the tracker, and another shopper writing at
  the same time is still answered within seconds.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
import requests
from aiohttp import web

from bot.devtools.processes import free_port
from bot.devtools.wechat_simulator import (
    UNAVAILABLE,
    WeChatPlatform,
    wechat_signature,
)
from bot.platform.conversation_ids import conversation_id as channel_conversation_id
from tests.conftest import ROOT
from tests.support.bad_inputs import BAD_INPUTS
from tests.support.console_processes import Console
from tests.support.processes import Assistant
from tests.support.shared_stack import (
    MAX_MESSAGE_CHARS,
    WECHAT_TOKEN,
    LogMark,
    SharedStack,
)

pytestmark = pytest.mark.model

TOKEN = WECHAT_TOKEN
ARTIFACTS = ROOT / "tests" / "artifacts"
TIMEOUT_MS = 30_000
WINDOW = 5.0  # WeChat waits this long for each attempt

HAN = re.compile(r"[\u4e00-\u9fff]")
LEAKS = re.compile(r"traceback|exception|error|errno|none|null|undefined", re.I)
# XML 1.0 cannot carry these, so WeChat's pushes never contain them.
NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
HTML = BAD_INPUTS["html"]
SCRIPT = BAD_INPUTS["script"]
ASK_PERSON = "转人工" + HTML  # the queue shows the handoff's last message
AGENT_HTML = "<img src=x onerror=alert('agent')>请核对<b>订单</b>"
CAP = MAX_MESSAGE_CHARS  # of the stack
PROMPT = 5.0  # seconds within which a shopper is answered while a huge message runs

T = TypeVar("T")


def conversation_id(channel: str, sender: str) -> str:
    """The tracker's conversation id for ``sender`` on ``channel``."""
    return channel_conversation_id(channel, sender)


@dataclass(frozen=True)
class Stack:
    """The running processes and where the simulator's API must listen."""

    assistant: Assistant
    console: Console
    api_port: int
    workdir: Path
    shared: SharedStack
    logs: LogMark

    def alive(self) -> bool:
        """The Rasa server still answers."""
        return requests.get(self.assistant.url, timeout=5).status_code == 200

    def user_events(self, sender: str, channel: str = "wechat") -> list[dict]:
        """The ``user`` events Rasa stored for a channel's sender."""
        response = requests.get(
            f"{self.assistant.url}/conversations/"
            f"{conversation_id(channel, sender)}/tracker",
            params={"token": self.assistant.token},
            timeout=10,
        )
        response.raise_for_status()
        events = response.json().get("events") or []
        return [event for event in events if event["event"] == "user"]

    def user_texts(self, sender: str, channel: str = "wechat") -> list[str]:
        """What Rasa stored as the shopper's messages."""
        return [event.get("text") or "" for event in self.user_events(sender, channel)]

    def web_conversations_saying(self, text: str) -> list[str]:
        """The web chat conversations (ids issued by the console) with ``text``."""
        with sqlite3.connect(self.workdir / "tracker.db") as db:
            rows = db.execute(
                "SELECT DISTINCT sender_id FROM events "
                "WHERE sender_id LIKE 'web:%' AND type_name = 'user' AND data LIKE ?",
                (f"%{json.dumps(text)[1:-1]}%",),
            ).fetchall()
        return [row[0] for row in rows]

    def rasa_log(self) -> str:
        """What the Rasa server logged since this module started."""
        return self.logs.since("rasa.log")


@pytest.fixture(scope="module")
def stack(shared_stack: SharedStack) -> Stack:
    return Stack(
        shared_stack.assistant,
        shared_stack.console,
        shared_stack.wechat_api_port,
        shared_stack.workdir,
        shared_stack,
        shared_stack.log_mark(),
    )


def new_platform(stack: Stack) -> WeChatPlatform:
    return stack.shared.wechat_platform()


@pytest.fixture
async def platform(stack):
    simulator = new_platform(stack)
    await simulator.start(port=stack.api_port)
    yield simulator
    await simulator.stop()


@pytest.fixture
async def canary():
    """An HTTP server that records every request: an expanded entity would call it."""
    hits: list[str] = []

    async def record(request: web.Request) -> web.Response:
        hits.append(request.path)
        return web.Response(text="<!ENTITY leak 'expanded'>")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", record)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}", hits
    await runner.cleanup()


def new_openid(label: str) -> str:
    return f"bad-{label.replace(' ', '-')}-{uuid.uuid4().hex[:8]}"


def carried_by_wechat(text: str) -> str:
    """``text`` as a WeChat push can carry it (XML 1.0 characters only)."""
    return NOT_XML.sub("", text)


def cdata(text: str) -> str:
    """A CDATA section holding ``text``, split where it contains ``]]>``."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def text_xml(openid: str, content: str) -> str:
    return (
        f"<xml><ToUserName>{cdata('gh_xiaoke0001')}</ToUserName>"
        f"<FromUserName>{cdata(openid)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType>{cdata('text')}</MsgType><Content>{cdata(content)}</Content>"
        f"<MsgId>{secrets.randbelow(10**15) + 10**15}</MsgId></xml>"
    )


def typed_xml(openid: str, msg_type: str, fields: str, msg_id: bool = True) -> str:
    ident = f"<MsgId>{secrets.randbelow(10**15) + 10**15}</MsgId>" if msg_id else ""
    return (
        f"<xml><ToUserName>{cdata('gh_xiaoke0001')}</ToUserName>"
        f"<FromUserName>{cdata(openid)}</FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime>"
        f"<MsgType>{cdata(msg_type)}</MsgType>{fields}{ident}</xml>"
    )


def sealed(
    platform: WeChatPlatform, inner: str, openid: str
) -> tuple[dict[str, str], bytes]:
    """Query and body of a correctly signed and encrypted push of ``inner``.

    Unlike the simulator's own pushes, ``inner`` need not be well-formed.
    """
    assert platform.crypto is not None
    stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    envelope = platform.crypto.encrypt_message(inner, nonce, stamp)
    encrypt = envelope.split("<Encrypt><![CDATA[", 1)[1].split("]]>", 1)[0]
    params = {
        "signature": wechat_signature(TOKEN, stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
        "openid": openid,
        "encrypt_type": "aes",
        "msg_signature": wechat_signature(TOKEN, stamp, nonce, encrypt),
    }
    body = f"<xml><ToUserName>{cdata('gh_xiaoke0001')}</ToUserName>" + (
        f"<Encrypt>{cdata(encrypt)}</Encrypt></xml>"
    )
    return params, body.encode("utf-8")


def origin_params(openid: str) -> dict[str, str]:
    """A valid URL signature (it covers token, timestamp and nonce, not the body)."""
    stamp, nonce = str(int(time.time())), str(secrets.randbelow(10**10))
    return {
        "signature": wechat_signature(TOKEN, stamp, nonce),
        "timestamp": stamp,
        "nonce": nonce,
        "openid": openid,
        "encrypt_type": "aes",
        "msg_signature": "0" * 40,
    }


async def answers(
    platform: WeChatPlatform, openid: str, before: int, first: float = 20.0
) -> list[str]:
    """What the shopper read after their first ``before`` messages.

    Waits up to ``first`` seconds for an answer (a late one comes through the
    customer-service API), then until a second passes with nothing new.
    """
    await platform.wait_for_inbox(openid, before + 1, timeout=first)
    seen = -1
    while len(platform.texts(openid)) != seen:
        seen = len(platform.texts(openid))
        await platform.wait_for_inbox(openid, seen + 1, timeout=1.0)
    return platform.texts(openid)[before:]


def assert_readable_chinese(texts: list[str]) -> None:
    assert texts, "the shopper got no answer"
    for text in texts:
        assert text != UNAVAILABLE, "WeChat showed its own error"
        assert HAN.search(text), f"not Chinese: {text!r}"
        assert not LEAKS.search(text), f"internals shown: {text!r}"


@pytest.mark.parametrize("text", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
async def test_bad_text_over_wechat_gets_a_chinese_answer(stack, platform, text):
    openid = new_openid("text")
    started = time.monotonic()
    result = await platform.push(text_xml(openid, carried_by_wechat(text)))
    assert [attempt.status for attempt in result.attempts] == [200]
    assert result.attempts[0].seconds < WINDOW
    texts = await answers(platform, openid, 0)
    print(f"{time.monotonic() - started:.1f}s {[t[:60] for t in texts]}")
    assert_readable_chinese(texts)
    assert stack.alive()

    seen = len(texts)
    greeting = await platform.say(openid, "你好")
    assert [attempt.status for attempt in greeting.attempts] == [200]
    later = await answers(platform, openid, seen)
    assert any("小客" in answer for answer in later), later


async def test_cdata_breakout_stays_inside_the_message(stack, platform):
    openid = new_openid("cdata")
    text = "退货]]></Content><MsgType>event</MsgType><Event>subscribe</Event><x>"
    result = await platform.push(text_xml(openid, text))
    assert [attempt.status for attempt in result.attempts] == [200]
    assert_readable_chinese(await answers(platform, openid, 0))
    assert stack.user_texts(openid) == [text]


async def test_malformed_decrypted_message_is_refused(stack, platform):
    # Correctly signed and encrypted, but not well-formed inside: raw control
    # characters (XML 1.0 cannot carry them, so WeChat never sends them) or a
    # truncated document. Refused as malformed, never a 5xx.
    openid = new_openid("inner")
    for inner in (
        text_xml(openid, BAD_INPUTS["control characters"]),
        text_xml(openid, "你好")[:-12],
    ):
        status, _ = await platform.post(*sealed(platform, inner, openid))
        assert status == 400, inner
    assert stack.user_texts(openid) == []
    assert stack.alive()


@pytest.mark.parametrize(
    "body",
    [
        "<xml><ToUserName>gh</ToUserName><Encrypt>abc",
        "not xml at all",
        "",
        "<html><body>hello</body></html>",
        "<xml><Encrypt></Encrypt></xml>",
        "<xml><Encrypt><![CDATA[not base64 ~~~]]></Encrypt></xml>",
    ],
    ids=["truncated", "not xml", "empty", "wrong root", "empty encrypt", "garbage"],
)
async def test_malformed_envelope_is_refused(stack, platform, body):
    openid = new_openid("malformed")
    status, text = await platform.post(origin_params(openid), body.encode("utf-8"))
    assert status is not None and 400 <= status < 500, (status, text)
    assert "Traceback" not in text
    assert stack.user_texts(openid) == []


def hostile_documents(canary_url: str) -> dict[str, str]:
    laughs = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    return {
        "billion laughs": (
            f'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY lol0 "lol">{laughs}]>'
            "<xml><Encrypt>&lol9;</Encrypt></xml>"
        ),
        "external entity": (
            f'<!DOCTYPE xml [<!ENTITY xxe SYSTEM "{canary_url}/xxe">]>'
            "<xml><Encrypt>&xxe;</Encrypt></xml>"
        ),
        "file entity": (
            '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
            "<xml><Encrypt>&xxe;</Encrypt></xml>"
        ),
        "parameter entity": (
            f'<!DOCTYPE xml [<!ENTITY % remote SYSTEM "{canary_url}/dtd"> %remote;]>'
            "<xml><Encrypt>x</Encrypt></xml>"
        ),
        "external dtd": (
            f'<!DOCTYPE xml SYSTEM "{canary_url}/external.dtd">'
            "<xml><Encrypt>x</Encrypt></xml>"
        ),
    }


async def test_entity_bombs_and_external_entities_are_refused(stack, platform, canary):
    canary_url, hits = canary
    refusals = stack.rasa_log().count("refused: unsafe XML")
    documents = hostile_documents(canary_url)
    for name, document in documents.items():
        openid = new_openid("xxe")
        # the envelope as sent, and the same document as the decrypted message
        inner = document.replace(
            "<xml>",
            f"<xml><FromUserName>{openid}</FromUserName><MsgType>text</MsgType>"
            "<CreateTime>1</CreateTime><Content>x</Content>",
            1,
        )
        for params, body in (
            (origin_params(openid), document.encode("utf-8")),
            sealed(platform, inner, openid),
        ):
            started = time.monotonic()
            status, text = await platform.post(params, body)
            assert status == 400, (name, status, text)
            assert time.monotonic() - started < 1.0, name
        assert stack.user_texts(openid) == [], name
    assert hits == [], "an external entity or DTD was fetched"
    # refused for the DTD itself, not for what an expansion produced
    unsafe = stack.rasa_log().count("refused: unsafe XML") - refusals
    assert unsafe == 2 * len(documents)
    assert stack.alive()


async def test_wrong_signatures_are_refused_before_processing(stack, platform):
    openid = new_openid("signature")
    xml = text_xml(openid, "我的快递到哪了")
    good_params, body = sealed(platform, xml, openid)
    forged = [
        {**good_params, "signature": "0" * 40},
        {**good_params, "msg_signature": "0" * 40},
        {key: value for key, value in good_params.items() if key != "signature"},
        {**good_params, "timestamp": str(int(time.time()) - 3600)},
    ]
    for params in forged:
        status, text = await platform.post(params, body)
        assert status in (401, 403), (params, status, text)
    # a plaintext push while the AES key is set: its signature covers no body
    plain = {k: v for k, v in good_params.items() if k not in ("encrypt_type",)}
    status, _ = await platform.post(plain, xml.encode("utf-8"))
    assert status in (401, 403)
    assert stack.user_texts(openid) == []
    assert platform.texts(openid) == []


async def test_oversized_and_non_utf8_bodies_are_refused(stack, platform):
    openid = new_openid("size")
    params, _ = sealed(platform, text_xml(openid, "你好"), openid)
    status, _ = await platform.post(params, b"<xml>" + b"x" * (70 * 1024) + b"</xml>")
    assert status == 413
    params, _ = sealed(platform, text_xml(openid, "你好"), openid)
    status, _ = await platform.post(params, "<xml>订单</xml>".encode("gb18030"))
    assert status == 400
    assert stack.user_texts(openid) == []


UNREADABLE = {
    "image": ("image", "<PicUrl>http://x/y.jpg</PicUrl><MediaId>m1</MediaId>", True),
    "voice": ("voice", "<MediaId>m2</MediaId><Format>amr</Format>", True),
    "location": (
        "location",
        "<Location_X>23.1</Location_X><Location_Y>113.3</Location_Y>"
        "<Scale>20</Scale><Label>广州</Label>",
        True,
    ),
    "link": ("link", "<Title>t</Title><Description>d</Description><Url>u</Url>", True),
    "video": ("video", "<MediaId>m3</MediaId><ThumbMediaId>t</ThumbMediaId>", True),
    "file": ("file", "<Title>a.pdf</Title><FileTotalLen>9</FileTotalLen>", True),
    "unknown type": ("hologram", "<Payload>&lt;script&gt;</Payload>", True),
    "subscribe": ("event", "<Event>subscribe</Event>", False),
    "unsubscribe": ("event", "<Event>unsubscribe</Event>", False),
    "unknown event": ("event", "<Event>teleport</Event>", False),
    "unknown menu key": (
        "event",
        "<Event>CLICK</Event><EventKey><![CDATA[<script>1</script>]]></EventKey>",
        False,
    ),
    "empty type": ("", "<Content>你好</Content>", True),
}


@pytest.mark.parametrize("case", UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_unreadable_messages_get_text_only_answer_or_nothing(
    stack, platform, case
):
    msg_type, fields, msg_id = case
    openid = new_openid("type")
    xml = typed_xml(openid, msg_type, fields, msg_id)
    if not msg_type:  # WeChat never sends it; the channel refuses it as malformed
        status, _ = await platform.post(*sealed(platform, xml, openid))
        assert status == 400
        return
    result = await platform.push(xml)
    assert [attempt.status for attempt in result.attempts] == [200]
    assert result.attempts[0].seconds < WINDOW
    texts = await answers(platform, openid, 0, first=2.0)
    if texts:
        assert_readable_chinese(texts)
    if msg_type == "image":
        # Pictures are taken now: one WeChat cannot hand over (media id m1 is
        # unknown to the simulator) gets a Chinese apology, nothing stored.
        assert any("图片" in text and "取到" in text for text in texts), texts
    elif msg_type not in ("event",):
        assert any(re.search("文字|打字", text) for text in texts), texts
    assert stack.alive()


# --- one huge message must not stop the assistant for everyone ---------------


async def timed_post(
    session: aiohttp.ClientSession, url: str, body: dict[str, str]
) -> tuple[int, Any, float]:
    """POST ``body`` as UTF-8 JSON; status, decoded answer and seconds taken."""
    started = time.monotonic()
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    async with session.post(
        url, data=data, headers={"Content-Type": "application/json"}
    ) as response:
        text = await response.text()
        answer = json.loads(text) if response.status == 200 else text
        return response.status, answer, time.monotonic() - started


def assert_cut_recorded(events: list[dict], original: str) -> None:
    assert [event["text"] for event in events] == [original[:CAP]]
    assert events[0]["metadata"]["truncated"] == {
        "original_length": len(original),
        "kept_length": CAP,
    }


def told_only_the_start_was_read(texts: list[str]) -> bool:
    return any(HAN.search(text) and str(CAP) in text for text in texts)


async def test_huge_rest_message_is_cut_and_others_still_answered(stack):
    huge, other = f"huge-{uuid.uuid4().hex[:8]}", f"other-{uuid.uuid4().hex[:8]}"
    text = "我" * 1_000_000
    url = f"{stack.assistant.url}/webhooks/rest/webhook"
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        flood = asyncio.create_task(
            timed_post(session, url, {"sender": huge, "message": text})
        )
        await asyncio.sleep(0.3)  # the huge message is on its way or being parsed
        status, answers, seconds = await timed_post(
            session, url, {"sender": other, "message": "你好"}
        )
        print(f"other shopper answered in {seconds:.2f}s")
        assert status == 200
        assert any("小客" in answer.get("text", "") for answer in answers), answers
        assert seconds < PROMPT
        status, answers, seconds = await flood
    print(f"1,000,000 characters answered in {seconds:.2f}s")
    assert status == 200
    assert seconds < PROMPT
    texts = [answer.get("text", "") for answer in answers]
    assert_readable_chinese(texts)
    assert told_only_the_start_was_read(texts), texts
    assert_cut_recorded(stack.user_events(huge, "rest"), text)
    assert stack.alive()


async def test_longest_wechat_message_is_cut_and_others_still_answered(stack, platform):
    # About the most a push can carry within the channel's 64 KB body limit
    # (42 KB of text, encrypted and base64-encoded); larger pushes get 413.
    openid, other = new_openid("huge"), new_openid("other")
    text = "我" * 14_000
    flood = asyncio.create_task(platform.push(text_xml(openid, text)))
    await asyncio.sleep(0.3)
    started = time.monotonic()
    greeting = await platform.say(other, "你好")
    await platform.wait_for_inbox(other, 1, timeout=PROMPT)
    seconds = time.monotonic() - started
    print(f"other shopper answered in {seconds:.2f}s")
    assert [attempt.status for attempt in greeting.attempts] == [200]
    assert any("小客" in answer for answer in platform.texts(other))
    assert seconds < PROMPT
    result = await flood
    assert [attempt.status for attempt in result.attempts] == [200]
    assert result.attempts[0].seconds < WINDOW
    texts = await answers(platform, openid, 0)
    assert_readable_chinese(texts)
    assert told_only_the_start_was_read(texts), texts
    assert_cut_recorded(stack.user_events(openid), text)
    assert stack.alive()


async def test_huge_web_chat_message_is_cut_or_refused_and_others_still_answered(
    stack,
):
    url = f"{stack.console.url}/chat/api/send"
    timeout = aiohttp.ClientTimeout(total=60)
    jar = {"cookie_jar": aiohttp.CookieJar(unsafe=True)}  # one shopper per session
    async with (
        aiohttp.ClientSession(timeout=timeout, **jar) as huge,
        aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.CookieJar()) as other,
    ):
        # more than the console reads: refused before anything else happens
        status, _, seconds = await timed_post(huge, url, {"message": "我" * 1_000_000})
        assert status == 413
        assert seconds < PROMPT
        # as much as it reads: Rasa's guard keeps the first CAP characters
        text = "我的快递到哪了" * 11_000  # 77,000 characters, 231 KB
        flood = asyncio.create_task(timed_post(huge, url, {"message": text}))
        await asyncio.sleep(0.3)
        status, answer, seconds = await timed_post(other, url, {"message": "你好"})
        print(f"other shopper answered in {seconds:.2f}s")
        assert status == 200
        assert any("小客" in message["text"] for message in answer["messages"])
        assert seconds < PROMPT
        status, answer, seconds = await flood
    assert status == 200
    assert seconds < PROMPT
    texts = [message["text"] for message in answer["messages"]]
    assert_readable_chinese(texts)
    assert told_only_the_start_was_read(texts), texts
    (conversation,) = stack.web_conversations_saying(text[:CAP])
    events = stack.user_events(conversation.removeprefix("web:"), "web")
    assert_cut_recorded(events, text)
    assert stack.alive()


# --- the console and the shopper web chat in a real browser --------------------


class ThreadedPlatform:
    """The simulator on its own event loop, for the synchronous browser test."""

    def __init__(self, platform: WeChatPlatform) -> None:
        self.platform = platform
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def say(self, openid: str, text: str) -> None:
        result = self.run(self.platform.push(text_xml(openid, text)))
        assert [attempt.status for attempt in result.attempts] == [200]

    def wait_for(self, openid: str, check: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = [t for t in self.platform.texts(openid) if check(t)]
            if found:
                return found[-1]
            time.sleep(0.2)
        raise AssertionError(f"no such message: {self.platform.texts(openid)}")

    @contextmanager
    def running(self, port: int) -> Iterator[ThreadedPlatform]:
        self._thread.start()
        self.run(self.platform.start(port=port))
        try:
            yield self
        finally:
            self.run(self.platform.stop())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)


def watch(page: Any, name: str, problems: list[str]) -> None:
    """Record dialogs (an injected ``alert``), failed loads, page and console errors."""

    def on_dialog(dialog: Any) -> None:
        problems.append(f"{name}: dialog {dialog.type} {dialog.message!r}")
        dialog.dismiss()

    def on_response(response: Any) -> None:
        if response.status >= 400:
            problems.append(f"{name}: {response.status} {response.url}")

    def on_console(message: Any) -> None:
        # Chromium's own favicon request (the console has none) is not the page's
        source = message.location.get("url", "")
        if message.type == "error" and not source.endswith("/favicon.ico"):
            problems.append(f"{name}: console {message.text} {source}")

    page.on("dialog", on_dialog)
    page.on("response", on_response)
    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{name}: {error}"))


def assert_no_injected_elements(page: Any) -> None:
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("b", has_text="退货").count() == 0
    assert page.locator("b", has_text="订单").count() == 0
    scripts = page.eval_on_selector_all(
        "script", "nodes => nodes.map(node => node.textContent)"
    )
    assert not [s for s in scripts if "alert" in s], scripts
    assert page.locator("[onerror]").count() == 0


def test_injected_markup_is_shown_as_text_in_console_and_chat(stack, browser):
    openid = new_openid("xss")
    earlier = stack.shared.web_conversations()
    problems: list[str] = []
    shopper_context = browser.new_context()
    agent_context = browser.new_context()
    shopper = shopper_context.new_page()
    agent = agent_context.new_page()
    for name, page in (("shopper", shopper), ("agent", agent)):
        page.set_default_timeout(TIMEOUT_MS)
        watch(page, name, problems)
    ARTIFACTS.mkdir(exist_ok=True)
    started = time.monotonic()
    wechat = ThreadedPlatform(new_platform(stack))
    try:
        with wechat.running(stack.api_port):
            # a WeChat shopper injects markup, then asks for a person
            for text in (HTML, SCRIPT, BAD_INPUTS["template"], ASK_PERSON):
                wechat.say(openid, text)
            wechat.wait_for(openid, lambda t: "已为您转接人工客服" in t)

            # so does a web-chat shopper; chat.js shows it as text
            shopper.goto(f"{stack.console.url}/chat")
            for text in (HTML, SCRIPT, "转人工"):
                shopper.fill("#chat-input", text)
                shopper.press("#chat-input", "Enter")
                shopper.locator("#messages li.me .text", has_text=text).wait_for()
            shopper.locator(
                "#messages li.bot", has_text="已为您转接人工客服"
            ).wait_for()
            mine = shopper.locator("#messages li.me .text").all_text_contents()
            assert mine[:2] == [HTML, SCRIPT]
            (chat,) = stack.shared.web_conversations() - earlier  # this shopper's

            # the agent's queue lists both
            agent.goto(f"{stack.console.url}/queue")
            agent.fill("input[name=username]", stack.console.username)
            agent.fill("input[name=password]", stack.console.password)
            agent.click("#login")
            row = agent.locator("#queue tbody tr", has_text=openid)
            row.wait_for()
            assert row.locator(".last-message").text_content() == ASK_PERSON
            agent.locator("#queue tbody tr", has_text=chat).wait_for()
            assert_no_injected_elements(agent)

            # the WeChat conversation, server-rendered then live
            row.locator("button.claim").click()
            agent.wait_for_url("**/conversations/*")
            lines = agent.locator("#transcript li.shopper .text")
            lines.filter(has_text="转人工").wait_for()
            shown = lines.all_text_contents()
            assert shown[:4] == [HTML, SCRIPT, BAD_INPUTS["template"], ASK_PERSON]
            assert ASK_PERSON in agent.locator("#summary").text_content()
            wechat.say(openid, HTML + "还在吗")
            lines.filter(has_text="还在吗").wait_for()  # appended by console.js
            assert lines.all_text_contents()[-1] == HTML + "还在吗"
            assert_no_injected_elements(agent)
            agent.screenshot(path=str(ARTIFACTS / "bad_input_console.png"))

            # the agent's own markup reaches the WeChat shopper literally
            agent.fill("#reply-text", AGENT_HTML)
            agent.press("#reply-text", "Enter")
            agent.locator("#transcript li.agent .text", has_text="请核对").wait_for()
            assert wechat.wait_for(openid, lambda t: "请核对" in t) == AGENT_HTML
            assert_no_injected_elements(agent)

            # and the web shopper's conversation: the agent's markup in chat.js
            agent.goto(f"{stack.console.url}/queue")
            agent.locator("#queue tbody tr", has_text=chat).locator(
                "button.claim"
            ).click()
            agent.wait_for_url("**/conversations/*")
            agent.fill("#reply-text", AGENT_HTML)
            agent.press("#reply-text", "Enter")
            answer = shopper.locator("#messages li.agent .text", has_text="请核对")
            answer.wait_for()
            assert answer.text_content() == AGENT_HTML
            assert_no_injected_elements(shopper)
            assert_no_injected_elements(agent)
            shopper.screenshot(path=str(ARTIFACTS / "bad_input_chat.png"))
        assert problems == []
        assert "Traceback" not in stack.logs.since("console.log")
        print(f"browser flow took {time.monotonic() - started:.1f}s")
    except Exception:
        for name, page in (("shopper", shopper), ("agent", agent)):
            page.screenshot(path=str(ARTIFACTS / f"bad_input_failure_{name}.png"))
        print((stack.workdir / "console.log").read_text()[-3000:])
        raise
    finally:
        shopper_context.close()
        agent_context.close()


def test_no_process_logged_a_traceback(stack):
    # Last in the file: the module's run, WeChat and browser, left no crash behind.
    assert stack.alive()
    for name in stack.logs.names():
        assert "Traceback" not in stack.logs.since(name), name
