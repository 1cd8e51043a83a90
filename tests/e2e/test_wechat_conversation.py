"""A delivery conversation: WeChat simulator → real Rasa, action server and backends.

The processes are the end-to-end modules' shared stack. The simulator plays
WeChat in safe (AES) mode with the platform's real timings (5 s per attempt,
3 attempts); each turn's answer reaches the shopper as one text, passively or
through the customer-service API, whichever the reply budget (3 s with the API)
allows. The shopper is 王芳 (C100001), whose openid ``demo-openid-001`` the
CRM knows, so the bot lists her orders as a numbered menu and a digit picks one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest

from bot.devtools.wechat_simulator import UNAVAILABLE
from tests.support.shared_stack import LogMark, SharedStack

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def logs(shared_stack: SharedStack) -> LogMark:
    """The shared processes' logs from this module's start on."""
    return shared_stack.log_mark()


@pytest.fixture
async def platform(shared_stack: SharedStack, logs: LogMark):
    simulator = shared_stack.wechat_platform()
    await simulator.start(port=shared_stack.wechat_api_port)
    yield simulator
    await simulator.stop()


async def until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


async def test_server_url_verification_through_rasa(platform):
    status, body = await platform.verify(platform.verification_params("e2e-echo"))
    assert (status, body) == (200, "e2e-echo")


async def test_delivery_conversation_over_wechat(platform, logs):
    openid = "demo-openid-001"  # bound to 王芳 (C100001) in the CRM demo data
    seen = len(platform.texts(openid))
    await platform.say(openid, "我的快递到哪了")
    await until(lambda: any("订单号" in t for t in platform.texts(openid)[seen:]))
    menu = next(t for t in platform.texts(openid)[seen:] if "回复数字选择" in t)
    choice = next(
        line.split(".", 1)[0]
        for line in menu.splitlines()
        if "XK202411110003" in line and line[:1].isdigit()
    )
    seen = len(platform.texts(openid))
    await platform.say(openid, choice)  # just the number, as on a phone
    await until(
        lambda: any("SF123456789012" in t for t in platform.texts(openid)[seen:])
    )
    answer = next(t for t in platform.texts(openid)[seen:] if "SF123456789012" in t)
    assert "XK202411110003" in answer
    await asyncio.sleep(1.0)  # nothing more, nothing twice
    texts = platform.texts(openid)
    for delivery in platform.inbox[openid]:  # shown when the test fails
        print(f"[{delivery.via}] {delivery.text}")
    assert UNAVAILABLE not in texts
    assert len(texts) == len(set(texts))
    # One text per turn: a turn's messages are joined (passive or, if late, via
    # the API), never one customer-service message per bot message.
    assert len(texts) == 2
    assert all(attempt.status == 200 for attempt in platform.pushes)
    assert "Traceback" not in logs.since("rasa.log")


async def test_messages_sent_in_a_row_are_answered_one_by_one_in_order(platform, logs):
    # Shoppers often send several short messages at once: each gets its own
    # answer, in the order they were sent (Rasa handles one at a time).
    openid = "o-row-of-three-e2e"
    rows = [("你好", "小客"), ("包邮吗", "包邮"), ("能开发票吗", "发票")]

    async def say(index: int, text: str) -> None:
        # 0.2 s apart: each push reaches Rasa's lock before the next, while the
        # turn before it is still running.
        await asyncio.sleep(0.2 * index)
        await platform.say(openid, text)

    await asyncio.gather(*(say(i, text) for i, (text, _) in enumerate(rows)))
    await until(lambda: len(platform.texts(openid)) >= len(rows))
    await asyncio.sleep(1.0)  # nothing more arrives
    texts = platform.texts(openid)
    for delivery in platform.inbox[openid]:  # shown when the test fails
        print(f"[{delivery.via}] {delivery.text}")
    assert len(texts) == len(rows)
    for text, (_, word) in zip(texts, rows, strict=True):
        assert word in text
    assert all(attempt.status == 200 for attempt in platform.pushes)
    assert "Traceback" not in logs.since("rasa.log")
