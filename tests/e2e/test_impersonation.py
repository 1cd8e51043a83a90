"""Impersonation attempts through every door, against the real processes.

The end-to-end modules' shared stack: the order and CRM services, the Rasa
server with the WeChat channel (the simulator plays WeChat), the action server
and the console (web chat).
王芳 (C100001) is a WeChat shopper: her openid ``demo-openid-001`` is bound in
the CRM. Each attempt below must get nothing of hers (or of 李强, C100002):
a REST message naming her openid, a web chat naming it in the body or the
polling query, another verified shopper asking for her orders, shipments,
returns and urges by number, and a conversation whose binding changed.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bot.platform.conversation_ids import REST, WECHAT, conversation_id
from tests.support.processes import Assistant
from tests.support.shared_stack import SharedStack

pytestmark = pytest.mark.model

WANG_FANG_OPENID = "demo-openid-001"  # bound to 王芳 (C100001) in the demo data
WANG_FANG_POINTS = "8799"
ZHANG_WEI = ("13700001111", "XK202411110012")  # C100003, 1,700 points
ASKS_TO_VERIFY = "手机号"


@dataclass
class Stack:
    assistant: Assistant
    console_url: str
    backend_env: dict[str, str]
    crm_db: Path
    shared: SharedStack

    def post(self, sender: str, text: str, **extra: str) -> requests.Response:
        """A REST message from ``sender``."""
        return requests.post(
            f"{self.assistant.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text, **extra},
            timeout=60,
        )

    def say(self, sender: str, text: str, **extra: str) -> str:
        """A REST message from ``sender``; the bot's texts."""
        response = self.post(sender, text, **extra)
        assert response.status_code == 200, response.text
        return "\n".join(m.get("text") or "" for m in response.json())

    def verify(self, sender: str, first_question: str) -> str:
        """Verify ``sender`` as 张伟 over REST; the answer to the first question."""
        assert ASKS_TO_VERIFY in self.say(sender, first_question)
        self.say(sender, ZHANG_WEI[0])
        return self.say(sender, ZHANG_WEI[1])

    def backend(self, service: str, path: str) -> dict:
        base = self.backend_env["ORDERS_URL" if service == "orders" else "CRM_URL"]
        response = requests.get(
            f"{base}{path}",
            headers={
                "Authorization": f"Bearer {self.backend_env['BACKEND_API_TOKEN']}"
            },
            timeout=5,
        )
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def stack(shared_stack: SharedStack) -> Stack:
    return Stack(
        shared_stack.assistant,
        shared_stack.console.url,
        shared_stack.backend_env,
        shared_stack.crm_db,
        shared_stack,
    )


@pytest.fixture
async def platform(stack):
    simulator = stack.shared.wechat_platform()
    await simulator.start(port=stack.shared.wechat_api_port)
    yield simulator
    await simulator.stop()


async def until(check: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


def shopper() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}"


async def test_a_wechat_shoppers_points_cannot_be_read_through_rest(stack, platform):
    seen = len(platform.texts(WANG_FANG_OPENID))
    await platform.say(WANG_FANG_OPENID, "我有多少积分")
    await until(
        lambda: any(
            WANG_FANG_POINTS in text for text in platform.texts(WANG_FANG_OPENID)[seen:]
        )
    )
    # The channel's own name in the sender is not even taken.
    prefixed = stack.post(conversation_id(WECHAT, WANG_FANG_OPENID), "我有多少积分")
    assert prefixed.status_code == 400
    assert WANG_FANG_POINTS not in prefixed.text
    for sender, extra in (
        (WANG_FANG_OPENID, {}),
        (WANG_FANG_OPENID, {"input_channel": "wechat"}),
    ):
        answer = stack.say(sender, "我有多少积分", **extra)
        assert ASKS_TO_VERIFY in answer, (sender, extra, answer)
        assert WANG_FANG_POINTS not in answer
        assert "金卡" not in answer
        orders = stack.say(sender, "我的快递到哪了")
        assert "XK2024111100" not in orders, (sender, orders)


def test_the_web_chat_cannot_name_another_conversation(stack):
    for forged in (WANG_FANG_OPENID, conversation_id(WECHAT, WANG_FANG_OPENID)):
        browser = requests.Session()  # a fresh shopper each time
        response = browser.post(
            f"{stack.console_url}/chat/api/send",
            json={"sender": forged, "message": "我有多少积分"},
            timeout=60,
        )
        assert response.status_code == 200, response.text
        answer = "\n".join(m["text"] for m in response.json()["messages"])
        assert ASKS_TO_VERIFY in answer and WANG_FANG_POINTS not in answer
        polled = browser.get(
            f"{stack.console_url}/chat/api/messages",
            params={"sender": forged, "after": "0"},
            timeout=10,
        )
        assert polled.json() == {"messages": []}


def test_another_customers_orders_shipments_returns_and_urges_stay_hidden(stack):
    sender = shopper()
    assert "1700" in stack.verify(sender, "我有多少积分")
    li_qiang_returns = stack.backend("orders", "/v1/customers/C100002/returns")
    rmas = [entry["rma_number"] for entry in li_qiang_returns["returns"]]
    assert rmas, "the demo data gives 李强 a return"
    shipments = stack.backend(
        "orders", "/v1/customers/C100001/orders/XK202411110003/shipments"
    )["shipments"]
    events = [e["status_text"] for s in shipments for e in s["events"]]
    assert events, "the demo data gives 王芳's order …03 tracking events"
    urges_before = stack.backend(
        "orders", "/v1/customers/C100001/orders/XK202411110002/urges"
    )["urge_count"]

    asked = {
        "shipment by order": stack.say(sender, "XK202411110003到哪了"),
        "shipment by tracking number": stack.say(sender, "SF123456789012到哪了"),
        "urge": stack.say(sender, "催一下XK202411110002，怎么还不发货"),
        "return on her order": stack.say(sender, "我要退货，订单XK202411110004"),
        "return status by RMA": stack.say(sender, f"{rmas[0]}退款到哪了"),
    }
    for what, answer in asked.items():
        for secret in (*rmas, "SF123456789012", "王芳", "李强", *events):
            assert secret not in answer, (what, secret, answer)
    assert "XK202411110003" in asked["shipment by order"]
    assert "没有查到" in asked["shipment by order"]
    urges = stack.backend("orders", "/v1/customers/C100001/orders/XK202411110002/urges")
    assert urges["urge_count"] == urges_before, "an urge was recorded on 王芳's order"


def test_a_conversation_whose_binding_changed_stops_seeing_the_customer(stack):
    sender = shopper()
    assert "1700" in stack.verify(sender, "我有多少积分")
    with sqlite3.connect(stack.crm_db) as crm:
        unbound = crm.execute(
            "DELETE FROM channel_identities WHERE channel = ? AND external_id = ?",
            (REST, sender),
        ).rowcount
    assert unbound == 1
    answer = stack.say(sender, "我有多少积分")
    assert "1700" not in answer
    assert ASKS_TO_VERIFY in answer or "重新核实" in answer


def test_a_conversation_bound_to_another_customer_stops_seeing_the_first(stack):
    sender = shopper()
    assert "1700" in stack.verify(sender, "我有多少积分")
    with sqlite3.connect(stack.crm_db) as crm:
        rebound = crm.execute(
            "UPDATE channel_identities SET customer_id = 'C100004' "
            "WHERE channel = ? AND external_id = ?",
            (REST, sender),
        ).rowcount
    assert rebound == 1
    answer = stack.say(sender, "我有多少积分")
    assert "1700" not in answer  # 张伟's balance: gone at once
    assert "380" in answer  # the binding's customer now: 刘洋
