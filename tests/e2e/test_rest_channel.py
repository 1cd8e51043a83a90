"""The assistant as `make run` starts it, over Rasa's REST channel.

Real processes on free ports: the Rasa server with the trained model, the action
server, and the reference order and CRM services (seeded demo data). One Chinese
conversation per flow; replies are checked for the facts that matter.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import requests

from tests.support.backend_processes import run_backends
from tests.support.processes import run_assistant

pytestmark = pytest.mark.model


class Shop:
    """The running assistant plus direct access to the order service."""

    def __init__(self, url: str, backend_env: dict[str, str]) -> None:
        self.url = url
        self.orders_url = backend_env["ORDERS_URL"]
        self.auth = {"Authorization": f"Bearer {backend_env['BACKEND_API_TOKEN']}"}

    def say(self, sender: str, text: str) -> str:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=30,
        )
        response.raise_for_status()
        return "\n".join(message.get("text", "") for message in response.json())

    def returns_of(self, customer_id: str) -> list[dict]:
        response = requests.get(
            f"{self.orders_url}/v1/customers/{customer_id}/returns",
            params={"limit": "50"},
            headers=self.auth,
            timeout=5,
        )
        response.raise_for_status()
        return response.json()["returns"]


@pytest.fixture(scope="module")
def shop(model_path, tmp_path_factory) -> Iterator[Shop]:
    workdir = tmp_path_factory.mktemp("e2e")
    with run_backends(workdir) as backend_env:
        with run_assistant(model_path, workdir, env=backend_env) as running:
            yield Shop(running.url, backend_env)


def new_shopper() -> str:
    return f"e2e-{uuid.uuid4().hex[:8]}"


def verify(shop: Shop, sender: str, first_question: str) -> str:
    """Ask something as a new shopper and verify as 王芳 (C100001)."""
    assert "手机号" in shop.say(sender, first_question)
    assert "订单号" in shop.say(sender, "13800138000")
    return shop.say(sender, "XK202411110001")


def test_greeting_is_answered_in_chinese(shop):
    assert "小客" in shop.say(new_shopper(), "你好")


def test_faq_is_answered(shop):
    assert "包邮" in shop.say(new_shopper(), "包邮吗")


def test_loyalty_after_verifying_identity(shop):
    reply = verify(shop, new_shopper(), "我有多少积分")
    assert "核实成功" in reply
    assert "8799 积分" in reply
    assert "800 积分将在" in reply


def test_delivery_tracking_gives_the_tracking_number(shop):
    sender = new_shopper()
    verify(shop, sender, "查下积分")
    choose = shop.say(sender, "我的快递到哪了")
    assert "哪一个订单" in choose
    reply = shop.say(sender, "ＸＫ２０２４１１１１０００３")
    assert "SF123456789012" in reply
    assert "顺丰" in reply


def test_someone_elses_order_is_refused_without_details(shop):
    sender = new_shopper()
    verify(shop, sender, "查下积分")
    reply = shop.say(sender, "XK202411110009到哪了")
    assert "没有查到" in reply
    for secret in ("JD000123456791", "扫地机器人", "李强"):
        assert secret not in reply


def test_return_is_created_once_with_rma_address_and_refund(shop):
    sender = new_shopper()
    verify(shop, sender, "查下积分")
    shop.say(sender, "我要退货")
    assert "退的是" in shop.say(sender, "XK202411110004")
    assert "原因" in shop.say(sender, "耳机")
    confirm = shop.say(sender, "质量问题")
    assert "确认" in confirm and "499.00" in confirm
    created = shop.say(sender, "确认")
    assert "RMA" in created and "寄回地址" in created
    rma = created[created.index("RMA") : created.index("RMA") + 15]
    returns = [r for r in shop.returns_of("C100001") if r["rma_number"] == rma]
    assert len(returns) == 1
    assert returns[0]["order_number"] == "XK202411110004"


def test_warranty_registration_gives_the_end_date(shop):
    sender = new_shopper()
    verify(shop, sender, "查下积分")
    assert "序列号" in shop.say(sender, "帮我登记保修")
    reply = shop.say(sender, "SN3F7T1W6B2X")
    assert "保修登记成功" in reply
    assert "保修到" in reply and "年" in reply


def test_stopping_a_form_is_acknowledged(shop):
    sender = new_shopper()
    shop.say(sender, "我要退货")
    assert "取消" in shop.say(sender, "算了不用了")


def test_api_refuses_requests_without_the_token(shop):
    assert requests.get(f"{shop.url}/status", timeout=5).status_code == 401
