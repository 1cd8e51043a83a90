"""Every channel's text is capped before Rasa sees it; the cut is recorded and told."""

from __future__ import annotations

import logging
import re

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.rasa_server.channels.wechat import WeChatCollector
from bot.rasa_server.resilience.guard import guard_turns
from bot.rasa_server.resilience.message_cap import (
    DEFAULT_MAX_MESSAGE_CHARS,
    TRUNCATED,
    cap_message,
    max_message_chars,
    truncation_notice,
)

HAN = re.compile(r"[\u4e00-\u9fff]")


def message(text: str, metadata: dict | None = None) -> UserMessage:
    return UserMessage(
        text,
        CollectingOutputChannel(),
        "shopper-9",
        input_channel="rest",
        message_id="m-1",
        metadata=metadata,
    )


def test_short_message_is_left_alone():
    original = message("我的快递到哪了" * 10)
    assert cap_message(original, 100) is original
    assert truncation_notice(original) is None


def test_message_at_the_limit_is_left_alone():
    original = message("我" * 100)
    assert cap_message(original, 100) is original


def test_long_message_is_cut_and_the_cut_recorded():
    original = message("我的快递到哪了" * 300, metadata={"openid": "o-1"})
    capped = cap_message(original, 2000)
    assert capped.text == ("我的快递到哪了" * 300)[:2000]
    assert capped.metadata == {
        "openid": "o-1",
        TRUNCATED: {"original_length": 2100, "kept_length": 2000},
    }
    assert (capped.sender_id, capped.message_id, capped.input_channel) == (
        "shopper-9",
        "m-1",
        "rest",
    )
    assert capped.output_channel is original.output_channel
    assert original.metadata == {"openid": "o-1"}  # the channel's dict is not changed


def test_cut_at_a_space_records_what_rasa_keeps():
    capped = cap_message(message("退货" + " " * 10 + "坏了" * 50), 8)
    assert capped.text == "退货"
    assert capped.metadata[TRUNCATED] == {"original_length": 112, "kept_length": 2}


def test_notice_is_chinese_and_says_how_much_was_read():
    notice = truncation_notice(cap_message(message("我" * 5000), 2000))
    assert notice is not None
    assert HAN.search(notice)
    assert "2000" in notice


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, DEFAULT_MAX_MESSAGE_CHARS),
        ({"MAX_MESSAGE_CHARS": ""}, DEFAULT_MAX_MESSAGE_CHARS),
        ({"MAX_MESSAGE_CHARS": "500"}, 500),
        ({"MAX_MESSAGE_CHARS": " 3000 "}, 3000),
    ],
)
def test_setting_from_the_environment(environ, expected):
    assert max_message_chars(environ) == expected


@pytest.mark.parametrize("raw", ["lots", "0", "-5", "2.5"])
def test_bad_setting_falls_back_to_the_default(raw, caplog):
    with caplog.at_level(logging.WARNING):
        assert max_message_chars({"MAX_MESSAGE_CHARS": raw}) == 2000
    assert "MAX_MESSAGE_CHARS" in caplog.text


async def guarded_turn(output, text: str, **kwargs) -> tuple[list[UserMessage], list]:
    seen: list[UserMessage] = []

    async def rasa(received: UserMessage) -> None:
        seen.append(received)
        await received.output_channel.send_text_message(received.sender_id, "好的")

    handler = guard_turns(rasa, lambda: None, **kwargs)
    await handler(UserMessage(text, output, "shopper-1"))
    return seen, [m["text"] for m in output.messages]


@pytest.mark.parametrize("output", [CollectingOutputChannel, WeChatCollector])
async def test_guard_hands_rasa_the_capped_text_and_tells_the_shopper(output):
    seen, texts = await guarded_turn(output(), "我" * 1_000_000, max_chars=2000)
    assert [len(received.text) for received in seen] == [2000]
    assert seen[0].metadata == {
        TRUNCATED: {"original_length": 1_000_000, "kept_length": 2000}
    }
    assert texts == ["好的", truncation_notice(seen[0])]


async def test_guard_reads_the_setting_when_built(monkeypatch):
    monkeypatch.setenv("MAX_MESSAGE_CHARS", "10")
    seen, texts = await guarded_turn(CollectingOutputChannel(), "我的快递到哪了" * 2)
    assert seen[0].text == "我的快递到哪了我的快"
    assert len(texts) == 2


async def test_guard_leaves_a_normal_message_alone():
    seen, texts = await guarded_turn(CollectingOutputChannel(), "我的快递到哪了")
    assert seen[0].text == "我的快递到哪了"
    assert seen[0].metadata is None
    assert texts == ["好的"]
