"""The 5-second rule, retries, the customer-service API, events and menus."""

import asyncio
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.devtools.processes import free_port
from bot.wechat.dedup import RedisStateStore
from bot.wechat.replies import (
    UNRECOGNISED_VOICE_REPLY,
    UNSUPPORTED_REPLY,
    WELCOME_REPLY,
)
from tests.conftest import ROOT
from tests.support.processes import stop_process, wait_for
from tests.support.services import service_fixture
from tests.unit.channels.conftest import fixture_xml

from .conftest import TOKEN, StubBot

redis = service_fixture("Redis", "127.0.0.1", 6379)
REDIS_URL = "redis://127.0.0.1:6379/0"


def answers_to(h, openid, text):
    return [t for t in h.platform.texts(openid) if text in t]


async def test_slow_answer_goes_through_the_customer_service_api_once(make_harness):
    h = await make_harness(budget=0.2, attempt_timeout=1.0, bot=StubBot(delay=0.6))
    result = await h.platform.say("slow-1", "我的快递到哪了")
    assert result.reply is None  # "success" within the budget: no WeChat retry
    assert len(result.attempts) == 1
    assert await h.platform.wait_for_inbox("slow-1", 1) == ["收到：我的快递到哪了"]
    await asyncio.sleep(0.3)
    assert h.platform.texts("slow-1") == ["收到：我的快递到哪了"]
    assert [c["errcode"] for c in h.platform.custom_calls] == [0]
    assert len(h.bot.calls) == 1


async def test_when_wechat_gives_up_first_its_retry_is_not_reprocessed(make_harness):
    # WeChat's timeout shorter than our budget: it hangs up and retries.
    h = await make_harness(budget=0.8, attempt_timeout=0.3, bot=StubBot(delay=0.5))
    result = await h.platform.say("slow-2", "退货")
    assert [a.status for a in result.attempts] == [None, 200]
    assert result.reply is None
    assert await h.platform.wait_for_inbox("slow-2", 1) == ["收到：退货"]
    await asyncio.sleep(0.3)
    assert len(h.platform.texts("slow-2")) == 1
    assert h.bot.calls == [("slow-2", "退货")]


async def test_several_bot_messages_arrive_as_one_passive_reply(make_harness):
    bot = StubBot()
    bot.script["积分"] = [{"text": "第一条"}, {"text": "第二条"}, {"text": "第三条"}]
    h = await make_harness(bot=bot)
    result = await h.platform.say("multi", "积分")
    assert result.reply == "第一条\n\n第二条\n\n第三条"
    await asyncio.sleep(0.8)  # nothing follows through the API
    assert h.platform.texts("multi") == ["第一条\n\n第二条\n\n第三条"]
    assert h.platform.custom_calls == []


async def test_an_answer_too_long_for_one_reply_follows_via_the_api_in_order(
    make_harness,
):
    bot = StubBot()
    parts = ["甲" * 500, "乙" * 500, "丙" * 500]  # 1500 bytes each
    bot.script["长"] = [{"text": part} for part in parts] + [
        {"text": "满意吗？", "buttons": [{"title": "满意", "payload": "/affirm"}]}
    ]
    h = await make_harness(bot=bot)
    result = await h.platform.say("long", "长")
    assert result.reply == parts[0]
    shown = await h.platform.wait_for_inbox("long", 3)
    assert shown == [
        parts[0],
        parts[1],
        f"{parts[2]}\n\n满意吗？\n\n回复数字选择：\n1. 满意",
    ]
    assert [d.via for d in h.platform.inbox["long"]] == ["passive", "custom", "custom"]
    await h.platform.say("long", "1")
    assert bot.calls[-1] == ("long", "/affirm")


async def test_retry_storm_gives_exactly_one_answer_per_message(make_harness):
    # Timings with room for a busy CI machine: an undelayed answer must come
    # within the budget (it once took over 0.3 s there), a delayed one after it.
    bot = StubBot()
    h = await make_harness(budget=0.9, attempt_timeout=1.8, bot=bot)
    jobs = []
    for number in range(12):
        text = f"消息{number:02d}"
        if number % 3 == 1:
            bot.delays[text] = 1.5  # answered late, through the API
        xml = h.platform.text_message(f"storm-{number % 4}", text)
        if number % 2:
            jobs.append(h.platform.push(xml, concurrent=3))  # 3 copies at once
        else:

            async def three_in_a_row(xml=xml):
                for _ in range(3):  # our answers "lost": WeChat retries anyway
                    await h.platform.push(xml)

            jobs.append(three_in_a_row())
    await asyncio.gather(*jobs)
    await asyncio.sleep(2.4)
    for number in range(12):
        text = f"消息{number:02d}"
        assert [c for c in bot.calls if c[1] == text] == [(f"storm-{number % 4}", text)]
        seen = answers_to(h, f"storm-{number % 4}", text)
        if number % 2 == 0:
            # Pushed three times in a row: each push got the same passive
            # answer (as WeChat would show after a lost response) or success.
            assert set(seen) <= {f"收到：{text}"}
            via_api = [c for c in h.platform.custom_calls if text in str(c.get("body"))]
            assert len(via_api) == (1 if number % 3 == 1 else 0)
        else:
            assert seen == [f"收到：{text}"]


async def test_token_expiry_mid_run_is_refreshed_once(make_harness):
    h = await make_harness(budget=0.1, bot=StubBot(delay=0.3))
    await h.platform.say("tok", "一")
    await h.platform.wait_for_inbox("tok", 1)
    h.platform.expire_tokens()
    await h.platform.say("tok", "二")
    assert await h.platform.wait_for_inbox("tok", 2) == ["收到：一", "收到：二"]
    assert [c["errcode"] for c in h.platform.custom_calls] == [0, 42001, 0]
    assert len(h.platform.token_requests) == 2


@pytest.mark.parametrize("errcode", [45015, 45047])
async def test_customer_service_refusal_is_logged_without_crash_or_loop(
    make_harness, errcode, caplog
):
    bot = StubBot(delay=0.3)
    h = await make_harness(budget=0.1, bot=bot)
    h.platform.refuse["gone"] = errcode
    bot.script["两条"] = [{"text": "甲"}, {"text": "乙"}]
    await h.platform.say("gone", "两条")
    await asyncio.sleep(0.6)
    assert [c["errcode"] for c in h.platform.custom_calls] == [errcode]
    assert str(errcode) in caplog.text
    bot.delay = 0.0
    assert (await h.platform.say("gone", "还在吗")).reply == "收到：还在吗"


async def test_subscribe_gets_the_welcome(make_harness):
    h = await make_harness(mode="safe")
    result = await h.platform.push(fixture_xml("subscribe.xml"))
    assert result.reply == WELCOME_REPLY
    assert h.bot.calls == []


async def test_menu_click_asks_the_bot_for_the_mapped_intent(make_harness):
    h = await make_harness()
    result = await h.platform.push(
        h.platform.event_message("u-click", "CLICK", "查物流")
    )
    assert result.reply == "收到：/track_delivery"
    assert h.bot.calls == [("u-click", "/track_delivery")]


async def test_event_retries_are_deduplicated_by_sender_and_time(make_harness):
    h = await make_harness()
    xml = h.platform.event_message("u-click2", "CLICK", "TRACK_DELIVERY", 1731300000)
    for _ in range(3):
        await h.platform.push(xml)
    assert h.bot.calls == [("u-click2", "/track_delivery")]


@pytest.mark.parametrize(
    "name", ["location.xml", "link.xml", "video.xml", "unknown.xml"]
)
async def test_unsupported_types_get_a_polite_chinese_answer(make_harness, name):
    h = await make_harness(mode="compatible")
    result = await h.platform.push(fixture_xml(name))
    assert result.reply == UNSUPPORTED_REPLY
    assert h.bot.calls == []


async def test_voice_is_text_when_recognised(make_harness):
    h = await make_harness()
    assert (await h.platform.push(fixture_xml("voice_recognised.xml"))).reply == (
        "收到：查一下我的积分"
    )
    assert (await h.platform.push(fixture_xml("voice_unrecognised.xml"))).reply == (
        UNRECOGNISED_VOICE_REPLY
    )


async def test_numbered_menu_reply_picks_the_button(make_harness):
    bot = StubBot()
    bot.script["退货"] = [
        {
            "text": "请问退货的原因是？",
            "buttons": [
                {
                    "title": "七天无理由",
                    "payload": '/inform{"return_reason": "七天无理由"}',
                },
                {
                    "title": "质量问题",
                    "payload": '/inform{"return_reason": "质量问题"}',
                },
            ],
        }
    ]
    h = await make_harness(bot=bot)
    shown = (await h.platform.say("u-menu", "退货")).reply
    assert shown == "请问退货的原因是？\n\n回复数字选择：\n1. 七天无理由\n2. 质量问题"
    await h.platform.say("u-menu", "２")
    assert bot.calls[-1] == ("u-menu", '/inform{"return_reason": "质量问题"}')


async def test_agent_console_can_send_through_the_same_client(make_harness):
    h = await make_harness()
    await h.channel.send_agent_message("u-agent", "您好，我是人工客服小王")
    assert h.platform.texts("u-agent") == ["您好，我是人工客服小王"]


@pytest.fixture
def other_server_process(redis, tmp_path) -> Iterator[tuple[str, str, Path]]:
    """A second channel server in its own process, sharing a Redis key prefix.

    Yields:
        Its base URL, the Redis key prefix and the file its bot logs calls to.
    """
    prefix = f"xiaoke:test:{uuid.uuid4().hex[:8]}:"
    calls = tmp_path / "other_process_calls.txt"
    calls.touch()
    port = free_port()
    command = [
        sys.executable, "-m", "tests.support.wechat_channel_server",
        "--port", str(port), "--token", TOKEN, "--redis-url", REDIS_URL,
        "--prefix", prefix, "--calls", str(calls), "--delay", "0.2",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=(tmp_path / "other_process.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for(f"{url}/webhooks/wechat/", process, timeout=60)
        yield url, prefix, calls
    finally:
        stop_process(process)


async def test_redis_dedup_spans_server_processes(make_harness, other_server_process):
    # WeChat delivers one message twice at once, to two server processes.
    other_url, prefix, other_calls = other_server_process
    bot = StubBot(delay=0.2)
    here = await make_harness(
        budget=1.0, bot=bot, store=RedisStateStore(REDIS_URL, prefix)
    )
    xml = here.platform.text_message("u-redis", "你好")
    signed = [here.platform.signed_request(xml) for _ in range(2)]
    replies = await asyncio.gather(
        here.platform.post(*signed[0], server_url=here.url),
        here.platform.post(*signed[1], server_url=other_url),
    )
    handled_there = other_calls.read_text("utf-8").splitlines()
    handled = [f"{openid}\t{text}" for openid, text in bot.calls] + handled_there
    assert handled == ["u-redis\t你好"]  # one process asked the bot, once
    assert all(status == 200 for status, _ in replies)
    assert [("收到：你好" in body) for _, body in replies] == [True, True]
