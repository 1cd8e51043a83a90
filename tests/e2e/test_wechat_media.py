"""WeChat media and warranty cards: simulator → real Rasa, action server, backends.

Its own stack (not the end-to-end modules' shared one): the photo return
creates a return on 王芳's earbuds order, which other modules expect to have
none, and the pictures need their own media directory. A new follower scanning
a warranty-card QR code (made with ``python -m bot.wechat.qrcode``) verifies
first and then finds the card's serial number already known. A quality-problem
return with a photo: the picture goes through ``media/get`` into the media
directory, and its reference reaches the RMA in the order service; the shopper
then asks for a person, and the agent sees the photo in the console transcript
(and a second one sent during the handoff, which the bot leaves unanswered) and
answers with a picture that reaches WeChat as an image message. A web-chat
shopper's photo answers the same returns photo step (王芳's charger).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import requests

from bot.devtools.processes import free_port
from bot.devtools.wechat_simulator import UNAVAILABLE, WeChatPlatform
from tests.support.backend_processes import run_backends
from tests.support.console_processes import (
    Console,
    console_port_and_token,
    run_console,
)
from tests.support.processes import Assistant, run_assistant
from tests.support.qrcode_command import qrcode_command

pytestmark = pytest.mark.model

TOKEN = "e2e-wechat-token"
AES_KEY = "E2eWeChatKey0123456789abcdefghijklmnopqrstx"  # 43 characters
APP_ID = "wxe2e0000000000001"
SECRET = "e2e-secret"


@pytest.fixture(scope="module")
def api_port() -> int:
    return free_port()


PHOTO = (
    Path(__file__).resolve().parents[1] / "fixtures" / "media" / "broken_earbuds.jpg"
).read_bytes()


@dataclass
class Stack:
    """The running assistant, where its pictures go, and the order service."""

    assistant: Assistant
    media_dir: Path
    backend_env: dict[str, str]
    console: Console

    def returns_of(self, customer_id: str) -> list[dict]:
        response = requests.get(
            f"{self.backend_env['ORDERS_URL']}/v1/customers/{customer_id}/returns",
            params={"limit": "50"},
            headers={
                "Authorization": f"Bearer {self.backend_env['BACKEND_API_TOKEN']}"
            },
            timeout=5,
        )
        response.raise_for_status()
        return response.json()["returns"]


@pytest.fixture(scope="module")
def stack(model_path, tmp_path_factory, api_port) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("e2e-wechat")
    media_dir = workdir / "media"
    env = {
        "WECHAT_TOKEN": TOKEN,
        "WECHAT_AES_KEY": AES_KEY,
        "WECHAT_APP_ID": APP_ID,
        "WECHAT_APP_SECRET": SECRET,
        "WECHAT_API_BASE_URL": f"http://127.0.0.1:{api_port}",
        "MEDIA_DIR": str(media_dir),
    }
    console_port, console_token = console_port_and_token()
    handoffs = {
        "CONSOLE_URL": f"http://127.0.0.1:{console_port}",
        "CONSOLE_API_TOKEN": console_token,
    }
    with run_backends(workdir) as backend_env:
        with run_assistant(
            model_path, workdir, {**backend_env, **env, **handoffs}
        ) as running:
            console_env = {
                **backend_env,
                **env,
                "RASA_URL": running.url,
                "RASA_TOKEN": running.token,
            }
            with run_console(
                workdir, console_port, console_token, console_env
            ) as console:
                yield Stack(running, media_dir, dict(backend_env), console)


@pytest.fixture(scope="module")
def assistant(stack) -> Assistant:
    return stack.assistant


@pytest.fixture
async def platform(assistant, api_port):
    simulator = WeChatPlatform(
        token=TOKEN,
        app_id=APP_ID,
        app_secret=SECRET,
        aes_key=AES_KEY,
        mode="safe",
        server_url=assistant.url,
    )
    await simulator.start(port=api_port)
    yield simulator
    await simulator.stop()


async def until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


async def test_scanning_a_warranty_card_registers_after_verification(platform):
    # A merchant prints a warranty card: the command creates its QR code.
    code, out, err = await qrcode_command(
        platform.api_url, APP_ID, SECRET, "SN3F7T1W6B2X", "--json"
    )
    assert (code, err) == (0, "")
    ticket = json.loads(out)["ticket"]
    # A follower the CRM does not know yet scans it: identity first.
    openid = f"o-card-{uuid.uuid4().hex[:10]}"
    await platform.scan(openid, ticket)
    await until(lambda: any("手机号" in t for t in platform.texts(openid)))
    first = platform.texts(openid)[0]
    assert "已识别保修卡上的序列号 SN3F7T1W6B2X" in first
    # 王芳's phone and one of her orders verify her ...
    await platform.say(openid, "13800138000")
    await until(lambda: any("订单号" in t for t in platform.texts(openid)[1:]))
    seen = len(platform.texts(openid))
    await platform.say(openid, "XK202411110001")
    # ... and the serial from the card is already known: registered at once.
    await until(lambda: any("保修登记成功" in t for t in platform.texts(openid)[seen:]))
    for delivery in platform.inbox[openid]:  # shown when the test fails
        print(f"[{delivery.via}] {delivery.text}")
    answer = " ".join(platform.texts(openid)[seen:])
    assert "身份核实成功" in answer and "SN3F7T1W6B2X" in answer
    texts = platform.texts(openid)
    assert not any("请发一下商品的序列号" in t for t in texts)
    assert UNAVAILABLE not in texts


async def test_a_quality_return_with_a_photo_reaches_the_rma(platform, stack):
    openid = "demo-openid-001"  # 王芳 (C100001)

    async def turn(push, expect: str) -> str:
        seen = len(platform.texts(openid))
        await push
        await until(lambda: any(expect in t for t in platform.texts(openid)[seen:]))
        return " ".join(platform.texts(openid)[seen:])

    await turn(platform.say(openid, "我要退货"), "订单")
    assert "退的是" in await turn(platform.say(openid, "XK202411110004"), "退的是")
    await turn(platform.say(openid, "耳机"), "原因")
    asked = await turn(platform.say(openid, "质量问题"), "照片")
    assert "跳过" in asked
    confirm = await turn(platform.send_image(openid, PHOTO), "确认")
    assert "499.00" in confirm
    created = await turn(platform.say(openid, "确认"), "RMA")
    for delivery in platform.inbox[openid]:  # shown when the test fails
        print(f"[{delivery.via}] {delivery.text}")
    assert "照片已收到" in created and "寄回地址" in created
    rma = created[created.index("RMA") : created.index("RMA") + 15]
    ref = f"media:{hashlib.sha256(PHOTO).hexdigest()}.jpg"
    (created_return,) = [
        r for r in stack.returns_of("C100001") if r["rma_number"] == rma
    ]
    assert created_return["evidence"] == [ref]
    assert created_return["reason"] == "quality_issue"
    key = ref.removeprefix("media:")
    assert (stack.media_dir / key[:2] / key).read_bytes() == PHOTO
    assert UNAVAILABLE not in platform.texts(openid)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
AGENT_PICTURE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "media" / "red_dot.png"
).read_bytes()


async def agent_claims(console: Console, conversation_id: str) -> tuple:
    """Log in as the console's agent, claim the conversation's handoff."""
    # Cookies for 127.0.0.1 (aiohttp keeps none for IP hosts by default).
    agent = aiohttp.ClientSession(
        base_url=console.url, cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    login = await (await agent.get("/login")).text()
    await agent.post(
        "/login",
        data={
            "username": console.username,
            "password": console.password,
            "csrf_token": CSRF.findall(login)[0],
        },
    )
    deadline = time.monotonic() + 30
    while True:
        queue = await (await agent.get("/api/queue")).json()
        waiting = [
            h for h in queue["waiting"] if h["conversation_id"] == conversation_id
        ]
        if waiting or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    (handoff,) = waiting
    token = CSRF.findall(await (await agent.get("/queue")).text())[0]
    claim = await agent.post(
        f"/handoffs/{handoff['id']}/claim", data={"csrf_token": token}
    )
    assert claim.status == 200, await claim.text()
    return agent, handoff["id"], token


async def test_the_agent_sees_the_return_photo_and_answers_with_a_picture(
    platform, stack
):
    openid = "demo-openid-001"  # 王芳, after the photo return above
    ref = f"media:{hashlib.sha256(PHOTO).hexdigest()}.jpg"
    seen = len(platform.texts(openid))
    await platform.say(openid, "转人工")
    await until(lambda: len(platform.texts(openid)) > seen)
    agent, handoff, token = await agent_claims(stack.console, f"wechat:{openid}")
    try:
        page = await (await agent.get(f"/conversations/{handoff}")).text()
        url = f"/handoffs/{handoff}/media/{ref.removeprefix('media:')}"
        assert f'<img src="{url}"' in page
        assert await (await agent.get(url)).read() == PHOTO
        # During the handoff a picture reaches the agent; the bot says nothing.
        second = PHOTO[:-2] + b"\x00\xff\xd9"
        quiet = len(platform.texts(openid))
        await platform.send_image(openid, second)
        second_url = (
            f"/handoffs/{handoff}/media/{hashlib.sha256(second).hexdigest()}.jpg"
        )

        async def shown() -> bool:
            page = await (await agent.get(f"/conversations/{handoff}")).text()
            return second_url in page

        deadline = time.monotonic() + 30
        while not await shown():
            assert time.monotonic() < deadline, "the second picture is not shown"
            await asyncio.sleep(0.5)
        assert await (await agent.get(second_url)).read() == second
        assert len(platform.texts(openid)) == quiet
        # The agent answers with a picture: media/upload, then an image message.
        form = aiohttp.FormData()
        form.add_field("image", AGENT_PICTURE, filename="dot.png")
        sent = await agent.post(
            f"/handoffs/{handoff}/image",
            data=form,
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )
        assert sent.status == 200, await sent.text()
        assert platform.images(openid) == [AGENT_PICTURE]
        assert platform.custom_calls[-1]["body"]["msgtype"] == "image"
        page = await (await agent.get(f"/conversations/{handoff}")).text()
        assert hashlib.sha256(AGENT_PICTURE).hexdigest() + ".png" in page
    finally:
        await agent.close()


async def test_a_web_chat_photo_answers_the_return_photo_step(stack):
    """The web chat's photo reaches Rasa as WeChat's does: 王芳's charger return."""
    shopper = aiohttp.ClientSession(
        base_url=stack.console.url, cookie_jar=aiohttp.CookieJar(unsafe=True)
    )
    said: list[str] = []

    async def say(text: str) -> str:
        answer = await shopper.post("/chat/api/send", json={"message": text})
        assert answer.status == 200, await answer.text()
        messages = (await answer.json())["messages"]
        said.extend([f"顾客：{text}", *(m["text"] for m in messages)])
        return " ".join(m["text"] for m in messages)

    try:
        await shopper.get("/chat")
        # Verified first (the verification order is not the one returned).
        assert "手机号" in await say("我有多少积分")
        assert "订单号" in await say("13800138000")
        assert "身份核实成功" in await say("XK202411110001")
        assert "订单" in await say("我要退货")
        # One line (the 65W charger): the reason is asked at once.
        assert "原因" in await say("XK202411110008")
        assert "照片" in await say("质量问题")
        sent = await shopper.post(
            "/chat/api/image",
            data=WEB_PHOTO,
            headers={"Content-Type": "application/octet-stream"},
        )
        assert sent.status == 200, await sent.text()
        body = await sent.json()
        said.extend(m["text"] for m in body["messages"])
        assert "确认" in " ".join(m["text"] for m in body["messages"])
        created = await say("确认")
        assert "照片已收到" in created and "RMA" in created
        rma = created[created.index("RMA") : created.index("RMA") + 15]
        (made,) = [r for r in stack.returns_of("C100001") if r["rma_number"] == rma]
        key = hashlib.sha256(WEB_PHOTO).hexdigest()
        assert made["evidence"] == [f"media:{key}.jpg"]
        assert (stack.media_dir / key[:2] / f"{key}.jpg").read_bytes() == WEB_PHOTO
        assert (await shopper.get(body["image"])).status == 200
    finally:
        print("\n".join(said))  # shown when the test fails
        await shopper.close()


WEB_PHOTO = (
    Path(__file__).resolve().parents[1] / "fixtures" / "media" / "earbuds_photo.jpg"
).read_bytes()
