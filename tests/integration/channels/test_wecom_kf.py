"""The WeCom kf channel in a real Sanic server, driven by the kf simulator over HTTP.

The bot is a stub ``on_new_message`` (fast, scriptable) and the pause state a
set; the simulator plays WeCom (crypto peer, sync_msg, send_msg with its state
and quota checks, service_state), independent of the channel's code.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.devtools.wecom_simulator import CORP_ID, KF_SECRET, OPEN_KFID, WeComPlatform
from bot.platform.media_store import LocalMediaStore
from bot.rasa_server.channels.wecom_kf import WeComKfInput
from bot.wechat.dedup import RedisStateStore
from bot.wecom.config import HandoffMode, WeComSettings
from bot.wecom.cursors import SqliteCursorStore
from bot.wecom.errors import SessionStateRefused
from bot.wecom.relay import AgentRelay
from bot.wecom.texts import TEXT_ONLY, WELCOME
from tests.integration.channels.conftest import serve, shutdown
from tests.support.services import require_service

TOKEN = "kf-integration-token"
AES_KEY = "Kf0123456789abcdefghijklmnopqrstuvwxyzABCDE"
HANDOFF_TEXT = "好的，正在为您转接人工客服，请稍候～"
PICTURE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "media" / "broken_earbuds.jpg"
).read_bytes()
MAX_PICTURE = 100_000


@dataclass
class PausedSet:
    """The bot's pause state per conversation (Rasa's tracker in production)."""

    paused: set[str] = field(default_factory=set)
    resumed: list[str] = field(default_factory=list)

    async def is_paused(self, conversation_id: str) -> bool:
        return conversation_id in self.paused

    async def resume(self, conversation_id: str) -> None:
        self.paused.discard(conversation_id)
        self.resumed.append(conversation_id)


@dataclass
class KfBot:
    """Rasa's ``on_new_message`` stand-in: scripted answers, 转人工 pauses."""

    control: PausedSet
    calls: list[tuple[str, str]] = field(default_factory=list)
    script: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    delays: dict[str, float] = field(default_factory=dict)

    async def __call__(self, message: Any) -> None:
        self.calls.append((message.sender_id, message.text))
        await asyncio.sleep(self.delays.get(message.text, 0.0))
        if message.sender_id in self.control.paused:
            return  # Rasa records the message and says nothing
        if message.text == "转人工":
            self.control.paused.add(message.sender_id)
            await message.output_channel.send_text_message(
                message.sender_id, HANDOFF_TEXT
            )
            return
        for item in self.script.get(message.text, [{"text": f"收到：{message.text}"}]):
            if "buttons" in item:
                await message.output_channel.send_text_with_buttons(
                    message.sender_id, item["text"], item["buttons"]
                )
            else:
                await message.output_channel.send_text_message(
                    message.sender_id, item["text"]
                )


@dataclass
class Harness:
    platform: WeComPlatform
    bot: KfBot
    control: PausedSet
    channel: WeComKfInput
    url: str
    state_dir: Path

    def conversation(self, user: str) -> str:
        return f"wecom:{OPEN_KFID}:{user}"

    async def say(self, user: str, text: str, count: int) -> list[str]:
        """The shopper writes; WeCom calls back; wait for ``count`` messages."""
        self.platform.customer_says(user, text)
        status, body = await self.platform.push_callback()
        assert (status, body) == (200, "success")
        await self.channel.drain()
        return await self.platform.wait_for(user, count, timeout=10)


@pytest.fixture
async def make_harness(tmp_path) -> AsyncIterator[Any]:
    """Build simulator + channel; ``await make_harness(mode=..., ...)``."""
    started: list[tuple[WeComPlatform, Any]] = []

    async def build(
        mode: HandoffMode = HandoffMode.CONSOLE,
        platform: WeComPlatform | None = None,
        state_dir: Path | None = None,
        store: Any = None,
        servicer: str = "",
    ) -> Harness:
        if platform is None:
            platform = WeComPlatform(TOKEN, AES_KEY)
            await platform.start()
        directory = state_dir or tmp_path / "wecom"
        control = PausedSet()
        channel = WeComKfInput(
            WeComSettings(
                corp_id=CORP_ID,
                kf_secret=KF_SECRET,
                token=TOKEN,
                aes_key=AES_KEY,
                api_base_url=platform.api_url,
                handoff_mode=mode,
                handoff_servicer=servicer,
                state_dir=directory,
            ),
            store=store,
            control=control,
            media=LocalMediaStore(tmp_path / "media", max_bytes=MAX_PICTURE),
        )
        bot = KfBot(control)
        url, server = await serve(channel, bot)
        platform.server_url = url
        started.append((platform, server))
        return Harness(platform, bot, control, channel, url, directory)

    yield build
    for _, server in started:
        await shutdown(server)
    for platform in {id(p): p for p, _ in started}.values():
        await platform.stop()


async def test_url_verification_answers_the_decrypted_echostr(make_harness):
    h = await make_harness()
    status, body, expected = await h.platform.verify_url()
    assert (status, body) == (200, expected)


async def test_a_turn_is_one_message_and_a_menu_number_picks_its_button(make_harness):
    h = await make_harness()
    h.bot.script["查积分"] = [
        {"text": "已为您验证身份。"},
        {"text": "您的积分：1,280 分，2027-06-30 到期 300 分。"},
        {
            "text": "这次服务您满意吗？",
            "buttons": [
                {"title": "满意", "payload": "/rate_good"},
                {"title": "不满意", "payload": "/rate_bad"},
            ],
        },
    ]
    [answer] = await h.say("wmShopper1", "查积分", 1)
    assert answer == (
        "已为您验证身份。\n\n您的积分：1,280 分，2027-06-30 到期 300 分。\n\n"
        "这次服务您满意吗？\n\n回复数字选择：\n1. 满意\n2. 不满意"
    )
    await h.say("wmShopper1", "２", 2)
    assert h.bot.calls == [
        (h.conversation("wmShopper1"), "查积分"),
        (h.conversation("wmShopper1"), "/rate_bad"),
    ]
    assert h.platform.session(OPEN_KFID, "wmShopper1").state == 1


async def test_the_welcome_uses_the_enter_session_code(make_harness):
    h = await make_harness()
    h.platform.enter_session("wmNew")
    await h.platform.push_callback()
    await h.channel.drain()
    assert await h.platform.wait_for("wmNew", 1) == [WELCOME]
    assert [sent.via for sent in h.platform.outbox] == ["welcome"]
    assert h.bot.calls == []


async def test_voice_gets_the_text_only_answer(make_harness):
    h = await make_harness()
    h.platform.customer_sends("wmVoice", "voice")
    h.platform.customer_sends("wmVoice", "video")
    await h.platform.push_callback()
    await h.channel.drain()
    assert await h.platform.wait_for("wmVoice", 2) == [TEXT_ONLY, TEXT_ONLY]
    assert h.bot.calls == []


async def test_a_picture_is_fetched_stored_and_put_to_the_bot(make_harness, tmp_path):
    h = await make_harness()
    h.platform.customer_sends("wmPhoto", "image", data=PICTURE)
    await h.platform.push_callback()
    await h.channel.drain()
    ref = f"media:{hashlib.sha256(PICTURE).hexdigest()}.jpg"
    message = "/send_image" + json.dumps({"image_ref": ref})
    assert h.bot.calls == [(h.conversation("wmPhoto"), message)]
    assert await h.platform.wait_for("wmPhoto", 1) == [f"收到：{message}"]
    assert h.platform.media.get_requests  # fetched with media/get
    key = ref.removeprefix("media:")
    assert (tmp_path / "media" / key[:2] / key).read_bytes() == PICTURE


async def test_a_picture_during_a_console_handoff_reaches_the_agent_silently(
    make_harness,
):
    h = await make_harness()
    await h.say("wmHanded", "转人工", 1)
    h.platform.customer_sends("wmHanded", "image", data=PICTURE)
    await h.platform.push_callback()
    await h.channel.drain()
    # Recorded in the conversation (Rasa paused), nothing said to the shopper.
    assert h.bot.calls[-1][1].startswith("/send_image")
    await asyncio.sleep(0.2)
    assert h.platform.texts_for("wmHanded") == [HANDOFF_TEXT]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"%PDF-1.7 not a picture", "只能收下照片"),
        (PICTURE[:4] + bytes(MAX_PICTURE), "太大"),
    ],
)
async def test_a_file_that_is_no_picture_is_refused_in_chinese(
    make_harness, data, expected
):
    h = await make_harness()
    h.platform.customer_sends("wmBadPhoto", "image", data=data)
    await h.platform.push_callback()
    await h.channel.drain()
    (answer,) = await h.platform.wait_for("wmBadPhoto", 1)
    assert expected in answer
    assert h.bot.calls == []


async def test_a_forged_callback_is_refused_and_nothing_is_pulled(make_harness):
    h = await make_harness()
    h.platform.customer_says("wmVictim", "你好")
    for params in (
        {"msg_signature": "f" * 40, "timestamp": "1700000000", "nonce": "x"},
        {},
    ):
        status, _ = await h.platform.push_callback(params=params)
        assert status == 403
    await h.channel.drain()
    assert h.platform.sync_calls == []
    assert h.bot.calls == []
    assert h.platform.outbox == []


@pytest.mark.parametrize(
    "body",
    [
        "<xml><Encrypt>abc",
        '<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]><xml>&x;</xml>',
    ],
    ids=["malformed", "xxe"],
)
async def test_malformed_callbacks_are_refused_unprocessed(make_harness, body):
    h = await make_harness()
    h.platform.customer_says("wmVictim", "你好")
    status, _ = await h.platform.post_raw(
        body, {"msg_signature": "a" * 40, "timestamp": "1", "nonce": "n"}
    )
    assert status == 400
    assert h.platform.sync_calls == [] and h.bot.calls == []


async def test_a_retry_storm_gets_one_answer(make_harness):
    h = await make_harness()
    # WeCom retried the callback and its log repeats the message: msgid ×3.
    msgid = h.platform.customer_says("wmStorm", "查物流")
    h.platform.customer_says("wmStorm", "查物流", msgid=msgid)
    answers = await asyncio.gather(*(h.platform.push_callback() for _ in range(3)))
    assert answers == [(200, "success")] * 3
    h.platform.customer_says("wmStorm", "查物流", msgid=msgid)
    await h.platform.push_callback()
    await h.channel.drain()
    await asyncio.sleep(0.2)
    assert h.platform.texts_for("wmStorm") == ["收到：查物流"]
    assert h.bot.calls == [(h.conversation("wmStorm"), "查物流")]


@pytest.mark.services
async def test_two_servers_sharing_redis_answer_a_message_once(make_harness, tmp_path):
    require_service("Redis", "127.0.0.1", 6379)
    prefix = f"xiaoke:test:{uuid.uuid4().hex}:"
    url = "redis://127.0.0.1:6379/0"
    one = await make_harness(
        store=RedisStateStore(url, prefix), state_dir=tmp_path / "one"
    )
    two = await make_harness(
        platform=one.platform,
        store=RedisStateStore(url, prefix),
        state_dir=tmp_path / "two",
    )
    one.platform.customer_says("wmTwice", "你好")
    for server in (one, two, one):
        one.platform.server_url = server.url
        await one.platform.push_callback()
        await server.channel.drain()
    assert one.platform.texts_for("wmTwice") == ["收到：你好"]
    assert len(one.bot.calls) + len(two.bot.calls) == 1


async def test_has_more_pages_are_all_pulled_and_the_cursor_survives(make_harness):
    h = await make_harness()
    h.platform.page_size = 2
    for number in range(5):
        h.platform.customer_says(f"wmPage{number}", f"第{number}条")
    await h.platform.push_callback()
    await h.channel.drain()
    assert len(h.platform.outbox) == 5
    assert [call.get("cursor") for call in h.platform.sync_calls] == [None, "2", "4"]
    assert await SqliteCursorStore(h.state_dir).get(OPEN_KFID) == "5"
    # A restarted server (new memory, same cursor file) starts where it stopped.
    again = await make_harness(platform=h.platform, state_dir=h.state_dir)
    h.platform.customer_says("wmPage0", "还有吗")
    await h.platform.push_callback()
    await again.channel.drain()
    assert again.bot.calls == [(h.conversation("wmPage0"), "还有吗")]
    assert h.platform.sync_calls[-1]["cursor"] == "5"


async def test_console_handoff_stays_with_the_assistant_and_relays_the_agent(
    make_harness,
):
    h = await make_harness(mode=HandoffMode.CONSOLE)
    assert await h.say("wmHelp", "转人工", 1) == [HANDOFF_TEXT]
    h.platform.customer_says("wmHelp", "在吗")
    await h.platform.push_callback()
    await h.channel.drain()
    # The bot is paused: the message reaches Rasa (the console sees it), no answer.
    assert h.bot.calls[-1] == (h.conversation("wmHelp"), "在吗")
    assert h.platform.texts_for("wmHelp") == [HANDOFF_TEXT]
    assert h.platform.transfers == []
    assert h.platform.session(OPEN_KFID, "wmHelp").state == 1
    await h.channel.send_agent_message(h.conversation("wmHelp"), "您好，我是客服小王")
    assert h.platform.texts_for("wmHelp") == [HANDOFF_TEXT, "您好，我是客服小王"]


async def test_wecom_handoff_transfers_and_the_bot_waits_for_the_session(
    make_harness,
):
    h = await make_harness(mode=HandoffMode.WECOM)
    conversation = h.conversation("wmAgent")
    assert await h.say("wmAgent", "转人工", 1) == [HANDOFF_TEXT]
    assert h.platform.transfers[-1]["service_state"] == 2
    assert h.platform.session(OPEN_KFID, "wmAgent").state == 2
    # In the queue and then with a WeCom agent, the bot says nothing.
    h.platform.customer_says("wmAgent", "人呢")
    await h.platform.push_callback()
    await h.channel.drain()
    h.platform.session(OPEN_KFID, "wmAgent").state = 3
    h.platform.customer_says("wmAgent", "谢谢")
    await h.platform.push_callback()
    await h.channel.drain()
    assert h.bot.calls == [(conversation, "转人工")]
    # The agent ends the session: the bot answers again.
    h.platform.end_session("wmAgent")
    await h.platform.push_callback()
    await h.channel.drain()
    assert h.control.resumed == [conversation]
    assert await h.say("wmAgent", "查物流", 2) == [HANDOFF_TEXT, "收到：查物流"]


async def test_wecom_handoff_to_a_named_servicer_uses_state_3(make_harness):
    h = await make_harness(mode=HandoffMode.WECOM, servicer="zhangsan")
    await h.say("wmNamed", "转人工", 1)
    assert h.platform.transfers[-1]["service_state"] == 3
    assert h.platform.transfers[-1]["servicer_userid"] == "zhangsan"


async def test_a_send_refused_by_state_is_logged_and_shown(make_harness, caplog):
    h = await make_harness()
    await h.say("wmBusy", "你好", 1)
    h.platform.session(OPEN_KFID, "wmBusy").state = 3  # a WeCom agent took it
    relay = AgentRelay.from_env(
        {
            "WECOM_TOKEN": TOKEN,
            "WECOM_CORP_ID": CORP_ID,
            "WECOM_KF_SECRET": KF_SECRET,
            "WECOM_AES_KEY": AES_KEY,
            "WECOM_API_BASE_URL": h.platform.api_url,
        }
    )
    assert relay is not None
    with caplog.at_level(logging.WARNING), pytest.raises(SessionStateRefused):
        await relay.send(h.conversation("wmBusy"), "您好")
    await relay.close()
    assert [sent.errcode for sent in h.platform.refused] == [95018]
    assert "95018" in caplog.text


async def test_answers_past_the_quota_are_refused_logged_and_shown(
    make_harness, caplog
):
    h = await make_harness()
    # Six parts too long to join: the sixth is past the 5-message quota.
    h.bot.script["说明书"] = [{"text": f"第{n}部分" + "说" * 700} for n in range(6)]
    with caplog.at_level(logging.WARNING):
        await h.say("wmLong", "说明书", 5)
        await asyncio.sleep(0.2)
    assert len(h.platform.texts_for("wmLong")) == 5
    assert [sent.errcode for sent in h.platform.refused] == [95001]
    assert "95001" in caplog.text
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{h.url}/webhooks/wecom/") as answer:
            health = await answer.json()
    assert health["refusals"][0]["errcode"] == 95001
    assert health["refusals"][0]["conversation_id"] == h.conversation("wmLong")


async def test_an_off_channel_answers_404_and_reaches_no_bot():
    async def never(_: object) -> None:
        raise AssertionError("no message may reach the bot")

    url, server = await serve(WeComKfInput(None), never)
    try:
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{url}/webhooks/wecom/webhook", data=b"<xml/>") as a:
                assert a.status == 404
            async with http.get(f"{url}/webhooks/wecom/webhook") as answer:
                assert answer.status == 404
            async with http.get(f"{url}/webhooks/wecom/") as answer:
                assert await answer.json() == {"status": "off"}
    finally:
        await shutdown(server)


async def test_a_slow_turn_delays_no_other_shopper_and_keeps_its_own_order(
    make_harness,
):
    h = await make_harness()
    h.bot.delays["慢慢说"] = 1.5
    h.platform.customer_says("wmSlow", "慢慢说")
    h.platform.customer_says("wmSlow", "然后呢")
    h.platform.customer_says("wmQuick", "快")
    await h.platform.push_callback()
    await h.platform.wait_for("wmQuick", 1, timeout=1.0)
    assert h.platform.texts_for("wmSlow") == []
    await h.channel.drain()
    assert h.platform.texts_for("wmSlow") == ["收到：慢慢说", "收到：然后呢"]
    assert [sent.external_userid for sent in h.platform.outbox] == [
        "wmQuick",
        "wmSlow",
        "wmSlow",
    ]
