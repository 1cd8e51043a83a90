"""微信客服 (WeCom kf) through real processes: simulator → Rasa, actions, backends.

The kf simulator plays WeCom (signed, encrypted callbacks; sync_msg; send_msg
with its session-state and quota checks); the Rasa server runs the channel from
``credentials.yml`` with the trained model, the action server, the seeded order
and CRM services, and the agent console (which queues handoffs, so the bot
pauses). The ``console`` handoff mode's tests run on the shared stack
(``tests/e2e/conftest.py``) as kf shoppers of their own, reading 王芳's points
without changing them; the ``wecom`` mode's test starts a stack of its own.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.devtools.processes import free_port
from bot.devtools.wecom_simulator import CORP_ID, KF_SECRET, OPEN_KFID, WeComPlatform
from bot.wecom.errors import SessionStateRefused
from bot.wecom.relay import AgentRelay
from tests.support.backend_processes import run_backends
from tests.support.console_processes import console_port_and_token, run_console
from tests.support.processes import run_assistant
from tests.support.shared_stack import LogMark, SharedStack

pytestmark = pytest.mark.model

TOKEN = "e2e-wecom-token"
AES_KEY = "E2eWeComKey0123456789abcdefghijklmnopqrstuv"  # 43 characters
WANG = ("13800138000", "XK202411110001")


@dataclass
class Stack:
    """A running assistant, its kf settings and the simulator (state kept).

    Attributes:
        shared: The shared stack's: other modules wrote its logs before, so a
            test reads only what came after it started serving.
    """

    url: str
    env: dict[str, str]
    platform: WeComPlatform
    api_port: int
    logs: Path
    shared: bool = False


def start_stack(model_path: Path, workdir: Path, mode: str) -> Iterator[Stack]:
    api_port = free_port()
    port, api_token = console_port_and_token()
    kf_env = {
        "WECOM_TOKEN": TOKEN,
        "WECOM_AES_KEY": AES_KEY,
        "WECOM_CORP_ID": CORP_ID,
        "WECOM_KF_SECRET": KF_SECRET,
        "WECOM_API_BASE_URL": f"http://127.0.0.1:{api_port}",
        "WECOM_HANDOFF_MODE": mode,
        "WECOM_STATE_DIR": str(workdir / "wecom"),
    }
    with run_backends(workdir) as backends:
        env = {
            **backends,
            **kf_env,
            "CONSOLE_URL": f"http://127.0.0.1:{port}",
            "CONSOLE_API_TOKEN": api_token,
        }
        with run_assistant(model_path, workdir, env=env) as assistant:
            console_env = {
                **backends,
                "RASA_URL": assistant.url,
                "RASA_TOKEN": assistant.token,
            }
            with run_console(workdir, port, api_token, console_env):
                platform = WeComPlatform(TOKEN, AES_KEY, server_url=assistant.url)
                yield Stack(assistant.url, kf_env, platform, api_port, workdir)


@pytest.fixture(scope="module")
def console_stack(shared_stack: SharedStack) -> Stack:
    assert shared_stack.wecom_env["WECOM_HANDOFF_MODE"] == "console"
    return Stack(
        shared_stack.assistant.url,
        shared_stack.wecom_env,
        shared_stack.wecom,
        shared_stack.wecom_api_port,
        shared_stack.workdir,
        shared=True,
    )


@pytest.fixture(scope="module")
def wecom_stack(model_path, tmp_path_factory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("e2e-wecom-wecom")
    yield from start_stack(model_path, workdir, "wecom")


async def serving(stack: Stack) -> AsyncIterator[WeComPlatform]:
    mark = LogMark.now(stack.logs) if stack.shared else LogMark(stack.logs)
    await stack.platform.start(port=stack.api_port)
    try:
        yield stack.platform
    finally:
        await stack.platform.stop()
        assert "Traceback" not in mark.since("rasa.log")


@pytest.fixture
async def kf(console_stack) -> AsyncIterator[WeComPlatform]:
    async for platform in serving(console_stack):
        yield platform


@pytest.fixture
async def kf_wecom(wecom_stack) -> AsyncIterator[WeComPlatform]:
    async for platform in serving(wecom_stack):
        yield platform


def shopper() -> str:
    return f"wmE2e{uuid.uuid4().hex[:12]}"


async def say(platform: WeComPlatform, user: str, text: str) -> str:
    """The shopper writes; WeCom calls back; the one answer of the turn."""
    before = len(platform.texts_for(user))
    platform.customer_says(user, text)
    assert await platform.push_callback() == (200, "success")
    texts = await platform.wait_for(user, before + 1, timeout=60)
    await asyncio.sleep(0.5)  # a second message of the turn would arrive now
    assert len(platform.texts_for(user)) == before + 1, platform.texts_for(user)
    return texts[-1]


async def silent(platform: WeComPlatform, user: str, text: str) -> None:
    """The shopper writes and, after a while, has read nothing new."""
    before = len(platform.texts_for(user))
    platform.customer_says(user, text)
    assert await platform.push_callback() == (200, "success")
    await asyncio.sleep(4.0)
    assert platform.texts_for(user)[before:] == []


def relay(stack: Stack) -> AgentRelay:
    found = AgentRelay.from_env(stack.env)
    assert found is not None
    return found


async def test_url_verification_through_rasa(kf):
    status, body, expected = await kf.verify_url()
    assert (status, body) == (200, expected)


async def test_loyalty_conversation_one_message_per_turn(kf):
    user = shopper()
    assert "手机号" in await say(kf, user, "我有多少积分")
    assert "订单号" in await say(kf, user, WANG[0])
    answer = await say(kf, user, WANG[1])
    assert "核实成功" in answer
    assert "8799 积分" in answer
    assert "回复数字选择" in answer  # the rating question's buttons, numbered
    assert [sent.via for sent in kf.outbox if sent.external_userid == user] == [
        "send_msg"
    ] * 3
    assert kf.session(OPEN_KFID, user).state == 1


async def test_a_retry_storm_gets_one_answer(kf):
    user = shopper()
    msgid = kf.customer_says(user, "我有多少积分")
    kf.customer_says(user, "我有多少积分", msgid=msgid)
    answers = await asyncio.gather(*(kf.push_callback() for _ in range(3)))
    assert answers == [(200, "success")] * 3
    await kf.wait_for(user, 1, timeout=60)
    await asyncio.sleep(3.0)
    assert len(kf.texts_for(user)) == 1
    assert "手机号" in kf.texts_for(user)[0]


async def test_console_handoff_keeps_the_session_and_relays_the_agent(
    kf, console_stack
):
    user = shopper()
    handed = await say(kf, user, "转人工")
    assert "人工" in handed
    assert kf.transfers == []
    await silent(kf, user, "在吗")
    assert kf.session(OPEN_KFID, user).state == 1
    agent = relay(console_stack)
    try:
        await agent.send(f"wecom:{OPEN_KFID}:{user}", "您好，我是客服小王，请讲")
    finally:
        await agent.close()
    assert kf.texts_for(user)[-1] == "您好，我是客服小王，请讲"


async def test_a_send_refused_by_state(kf, console_stack):
    user = shopper()
    assert "手机号" in await say(kf, user, "我有多少积分")
    kf.session(OPEN_KFID, user).state = 3  # a WeCom agent took the session
    await silent(kf, user, "我的快递到哪了")
    agent = relay(console_stack)
    try:
        with pytest.raises(SessionStateRefused):
            await agent.send(f"wecom:{OPEN_KFID}:{user}", "您好")
    finally:
        await agent.close()
    assert kf.refused[-1].errcode == 95018


async def test_wecom_handoff_transfers_and_the_bot_returns_after_the_session(
    kf_wecom,
):
    user = shopper()
    handed = await say(kf_wecom, user, "转人工")
    assert "人工" in handed
    assert kf_wecom.transfers[-1]["external_userid"] == user
    assert kf_wecom.session(OPEN_KFID, user).state == 2
    await silent(kf_wecom, user, "人呢")
    kf_wecom.session(OPEN_KFID, user).state = 3
    kf_wecom.session(OPEN_KFID, user).servicer = "zhangsan"
    await silent(kf_wecom, user, "谢谢")
    kf_wecom.end_session(user)
    assert await kf_wecom.push_callback() == (200, "success")
    await asyncio.sleep(2.0)
    assert "手机号" in await say(kf_wecom, user, "我有多少积分")
