"""Membership over Rasa's REST channel: benefits, rewards, redemption, order points.

Real processes on free ports, as ``make run`` starts them (the Rasa server with
the trained model, the action server, the seeded order and CRM services: the
end-to-end modules' shared stack). What the replies must say is read from the
CRM during the test. The redemption spends 李强's points (C100002): other
modules check 王芳's balance as seeded. A duplicated
confirming turn is replayed the way Rasa would deliver it again: the tracker as
it stood before ``action_redeem_points`` ran, posted once more to the action
server.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import requests

from tests.support.processes import ACTION_SERVER_TOKEN, Assistant
from tests.support.shared_stack import SharedStack

pytestmark = pytest.mark.model

WANG = ("13800138000", "XK202411110001")
LI = ("13912345678", "XK202411110009")
LIU = ("13600002222", "XK202411110015")
COUPON_CODE = re.compile(r"券码：(\S+?)，")


class Shop:
    """The running assistant, the CRM behind it, and its action server."""

    def __init__(self, running: Assistant, env: dict[str, str]) -> None:
        self.url = running.url
        self.token = running.token
        self.actions_url = running.actions_url
        self.crm_url = env["CRM_URL"]
        self.auth = {"Authorization": f"Bearer {env['BACKEND_API_TOKEN']}"}

    def messages(self, sender: str, text: str) -> list[dict[str, Any]]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def say(self, sender: str, text: str) -> str:
        return "\n".join(m.get("text", "") for m in self.messages(sender, text))

    def crm(self, path: str, **params: str) -> Any:
        response = requests.get(
            f"{self.crm_url}{path}", params=params, headers=self.auth, timeout=5
        )
        response.raise_for_status()
        return response.json()

    def spends(self, customer_id: str, name: str) -> list[dict[str, Any]]:
        """The customer's ledger entries for redeeming ``name``."""
        ledger = self.crm(f"/v1/customers/{customer_id}/loyalty/ledger", limit="100")
        return [
            e
            for e in ledger["entries"]
            if e["kind"] == "spend" and name in e["description"]
        ]

    def replay(self, sender: str, action: str) -> dict[str, Any]:
        """Deliver ``action``'s last call again, with the tracker Rasa sent then."""
        api = {"token": self.token}
        full = requests.get(
            f"{self.url}/conversations/rest:{sender}/tracker",
            params={**api, "include_events": "ALL"},
            timeout=10,
        ).json()
        events = full["events"]
        (at,) = [
            i
            for i, e in enumerate(events)
            if e["event"] == "action" and e.get("name") == action
        ]
        before = requests.get(
            f"{self.url}/conversations/rest:{sender}/tracker",
            params={
                **api,
                "include_events": "ALL",
                "until": events[at - 1]["timestamp"],
            },
            timeout=10,
        ).json()
        domain = requests.get(
            f"{self.url}/domain",
            params=api,
            headers={"Accept": "application/json"},
            timeout=10,
        ).json()
        response = requests.post(
            f"{self.actions_url}/webhook",
            params={"token": ACTION_SERVER_TOKEN},
            json={
                "next_action": action,
                "sender_id": before["sender_id"],
                "tracker": before,
                "domain": domain,
                "version": "3.6",
            },
            timeout=30,
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def shop(shared_stack: SharedStack) -> Shop:
    return Shop(shared_stack.assistant, shared_stack.backend_env)


def new_shopper() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def verify(shop: Shop, sender: str, question: str, who: tuple[str, str]) -> str:
    """Ask something as a new shopper, then verify as the demo customer ``who``."""
    assert "手机号" in shop.say(sender, question)
    assert "订单号" in shop.say(sender, who[0])
    reply = shop.say(sender, who[1])
    assert "核实成功" in reply
    return reply


def test_benefits_of_the_tier_and_the_next_come_from_the_crm(shop):
    membership = shop.crm("/v1/customers/C100001/membership")
    sender = new_shopper()
    reply = verify(shop, sender, "金卡会员有什么权益", WANG)
    assert f"您现在是{membership['current']['name']}" in reply
    for benefit in membership["current"]["benefits"]:
        assert benefit["title"] in reply
    assert membership["next"] is not None and membership["next_adds"]
    assert f"再攒 {membership['points_to_next']} 成长值" in reply
    assert membership["next"]["name"] in reply
    for benefit in membership["next_adds"]:
        assert benefit["title"] in reply
    assert "积分，会员等级" not in reply  # not the balance answer
    # A tier named later in the same conversation: its own benefits.
    (diamond,) = [t for t in shop.crm("/v1/tiers")["tiers"] if t["tier"] == "diamond"]
    reply = shop.say(sender, "钻石会员有啥好处")
    assert diamond["name"] in reply
    for benefit in diamond["benefits"]:
        assert benefit["title"] in reply


def test_rewards_offer_what_the_points_can_buy(shop):
    sender = new_shopper()
    verify(shop, sender, "查下积分", WANG)
    listing = shop.crm("/v1/customers/C100001/rewards")
    messages = shop.messages(sender, "积分能换什么")
    text = "\n".join(m.get("text", "") for m in messages)
    assert f"您现在有 {listing['balance']} 积分" in text
    buttons = [b["title"] for m in messages for b in m.get("buttons", [])]
    for reward in listing["rewards"]:
        if reward["affordable"] and reward["stock"] != 0:
            assert reward["name"] in text
            assert any(reward["name"] in title for title in buttons)
        elif reward["stock"] == 0:
            assert reward["name"] not in text


def test_a_replayed_confirming_turn_redeems_once(shop):
    sender = new_shopper()
    before = shop.crm("/v1/customers/C100002/rewards")["balance"]
    assert shop.spends("C100002", "20元无门槛券") == []
    reply = verify(shop, sender, "用积分换20元券", LI)
    assert "「20元无门槛券」" in reply and "2000 积分" in reply
    assert f"兑换后剩余 {before - 2000} 积分" in reply
    done = shop.say(sender, "确认")
    assert "兑换成功" in done
    code = COUPON_CODE.search(done)
    assert code is not None, done
    assert len(shop.spends("C100002", "20元无门槛券")) == 1
    # The same confirming turn delivered to the action server once more.
    again = shop.replay(sender, "action_redeem_points")
    (redeemed,) = [
        r for r in again["responses"] if r.get("response") == "utter_points_redeemed"
    ]
    assert redeemed["code"] == code.group(1)
    assert len(shop.spends("C100002", "20元无门槛券")) == 1
    assert shop.crm("/v1/customers/C100002/rewards")["balance"] == before - 2000


def test_insufficient_points_are_explained_and_nothing_is_redeemed(shop):
    sender = new_shopper()
    balance = shop.crm("/v1/customers/C100004/rewards")["balance"]
    reply = verify(shop, sender, "我要兑换20元券", LIU)
    assert "需要 2000 积分" in reply
    assert f"您现在有 {balance} 积分" in reply
    assert f"还差 {2000 - balance} 积分" in reply
    assert shop.spends("C100004", "20元无门槛券") == []
    # The form is over: the next message is a new question, not a choice.
    assert "小客" in shop.say(sender, "你好")


def test_points_of_an_order_come_from_the_ledger(shop):
    sender = new_shopper()
    verify(shop, sender, "查下积分", WANG)
    points = shop.crm("/v1/customers/C100001/orders/XK202411110005/points")
    reply = shop.say(sender, "XK202411110005这单能得多少积分")
    assert "订单 XK202411110005" in reply
    assert f"已到账 {points['earned']} 分" in reply
    assert f"待到账 {points['pending']} 分" in reply
