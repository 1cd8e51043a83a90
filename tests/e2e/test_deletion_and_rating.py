"""A shopper rates a resolved flow and has the conversation deleted, end to end.

Real processes (the end-to-end modules' shared stack): the Rasa server (its
SQLite conversation store, as `make run` has it), the action server, the order
and CRM services and the console, which does the deletion. The stored events are
then read back from that SQLite file.
"""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from pathlib import Path

import pytest
import requests

from bot.platform.conversation_ids import REST, conversation_id
from tests.support.shared_stack import SharedStack

pytestmark = pytest.mark.model

PHONE = "13800138000"


class Stack:
    """The running assistant and where it keeps conversations."""

    def __init__(self, url: str, tracker_db: Path) -> None:
        self.url = url
        self.tracker_db = tracker_db

    def say(self, sender: str, text: str) -> list[dict]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def text(self, sender: str, message: str) -> str:
        return "\n".join(m.get("text", "") for m in self.say(sender, message))

    def stored(self, sender: str) -> list[dict]:
        with sqlite3.connect(self.tracker_db) as connection:
            rows = connection.execute(
                "SELECT data FROM events WHERE sender_id = ? ORDER BY id",
                (conversation_id(REST, sender),),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]


@pytest.fixture(scope="module")
def stack(shared_stack: SharedStack) -> Stack:
    return Stack(shared_stack.assistant.url, shared_stack.tracker_db)


def shopper() -> str:
    return f"e2e-del-{uuid.uuid4().hex[:8]}"


def check_points(stack: Stack, sender: str) -> list[dict]:
    assert "手机号" in stack.text(sender, "我有多少积分")
    assert "订单号" in stack.text(sender, PHONE)
    return stack.say(sender, "XK202411110001")


def test_resolved_flow_asks_for_a_rating_and_keeps_it(stack):
    sender = shopper()
    answer = check_points(stack, sender)
    assert "8799 积分" in json.dumps(answer, ensure_ascii=False)
    ask = answer[-1]
    assert "满意" in ask["text"]
    payloads = [button["payload"] for button in ask["buttons"]]
    assert len(payloads) == 5
    thanks = stack.text(sender, payloads[0])  # one tap: 5分
    assert "5分" in thanks
    ratings = [
        e["value"]
        for e in stack.stored(sender)
        if e["event"] == "slot" and e["name"] == "satisfaction"
    ]
    assert ratings == [5.0]
    outcomes = [
        e["value"]
        for e in stack.stored(sender)
        if e["event"] == "slot" and e["name"] == "flow_outcome"
    ]
    assert outcomes == ["loyalty_checked"]


def test_typed_low_rating_gets_an_apology(stack):
    sender = shopper()
    check_points(stack, sender)
    reply = stack.text(sender, "不太满意，2分")
    assert "抱歉" in reply and "2分" in reply


def test_deletion_is_confirmed_then_done_and_reported(stack):
    sender = shopper()
    check_points(stack, sender)
    assert PHONE in json.dumps(stack.stored(sender), ensure_ascii=False)
    confirm = stack.say(sender, "删除我的聊天记录")
    assert "确认" in confirm[0]["text"]
    assert [b["title"] for b in confirm[0]["buttons"]] == ["确认删除", "不删了"]
    done = stack.text(sender, "确认")
    assert "已为您删除聊天记录" in done
    stored = json.dumps(stack.stored(sender), ensure_ascii=False)
    assert PHONE not in stored
    assert "我有多少积分" not in stored
    # The points, not the digits inside a random message id (hex) that happen to match.
    assert not re.search(r"(?<![0-9a-f])8799(?![0-9a-f])", stored)
    # The conversation goes on (the account binding is the CRM's, not chat data).
    assert "8799 积分" in stack.text(sender, "我有多少积分")
    assert PHONE not in json.dumps(stack.stored(sender), ensure_ascii=False)


def test_deletion_can_be_cancelled(stack):
    sender = shopper()
    check_points(stack, sender)
    confirm = stack.say(sender, "帮我把聊天记录删掉")
    keep = confirm[0]["buttons"][1]["payload"]  # 不删了
    assert "没有删除" in stack.text(sender, keep)
    assert PHONE in json.dumps(stack.stored(sender), ensure_ascii=False)


def test_deletion_request_interrupts_a_form(stack):
    sender = shopper()
    assert "手机号" in stack.text(sender, "我要退货")
    confirm = stack.say(sender, "删除我的聊天记录")
    assert "确认要删除" in confirm[0]["text"]
    erase = confirm[0]["buttons"][0]["payload"]  # 确认删除
    assert "已为您删除聊天记录" in stack.text(sender, erase)
