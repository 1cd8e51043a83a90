"""WeChat media and warranty cards: simulator → real Rasa, action server, backends.

Its own stack (not the end-to-end modules' shared one): the photo return
creates a return on 王芳's earbuds order, which other modules expect to have
none, and the pictures need their own media directory. A new follower scanning
a warranty-card QR code (made with ``python -m bot.wechat.qrcode``) verifies
first and then finds the card's serial number already known. A quality-problem
return with a photo: the picture goes through ``media/get`` into the media
directory, and its reference reaches the RMA in the order service.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bot.devtools.processes import free_port
from bot.devtools.wechat_simulator import UNAVAILABLE, WeChatPlatform
from tests.support.backend_processes import run_backends
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
    with run_backends(workdir) as backend_env:
        with run_assistant(model_path, workdir, {**backend_env, **env}) as running:
            yield Stack(running, media_dir, dict(backend_env))


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
