"""Pre-sales questions over Rasa's REST channel, answered from the real catalogue.

Real processes on free ports (the Rasa server with the trained model, the
action server, the seeded order and CRM services: the end-to-end modules'
shared stack). A shopper who never
verified asks about a product's price, the stock of one variant, a spec, and
follows up without naming the product again; the replies are checked against
what the order service's catalogue holds.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests

from tests.support.shared_stack import SharedStack

pytestmark = pytest.mark.model


class Shop:
    """The running assistant plus direct access to the catalogue."""

    def __init__(self, url: str, backend_env: dict[str, str]) -> None:
        self.url = url
        self.orders_url = backend_env["ORDERS_URL"]
        self.auth = {"Authorization": f"Bearer {backend_env['BACKEND_API_TOKEN']}"}

    def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def say(self, sender: str, text: str) -> str:
        return "\n".join(m.get("text", "") for m in self.send(sender, text))

    def product(self, query: str) -> dict[str, Any]:
        """The catalogue's first product for ``query``, in full."""
        response = requests.get(
            f"{self.orders_url}/v1/products",
            params={"q": query},
            headers=self.auth,
            timeout=5,
        )
        response.raise_for_status()
        return self.product_by_id(response.json()["products"][0]["product_id"])

    def product_by_id(self, product_id: str) -> dict[str, Any]:
        response = requests.get(
            f"{self.orders_url}/v1/products/{product_id}", headers=self.auth, timeout=5
        )
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def shop(shared_stack: SharedStack) -> Shop:
    return Shop(shared_stack.assistant.url, shared_stack.backend_env)


def new_shopper() -> str:
    return f"e2e-presales-{uuid.uuid4().hex[:8]}"


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def test_price_is_answered_without_identity(shop):
    air2 = shop.product("Air2")
    reply = shop.say(new_shopper(), "Air2耳机多少钱")
    assert "手机号" not in reply
    assert air2["name"] in reply
    assert f"{yuan(air2['price_fen'])} 元" in reply
    if air2["promotion"]:
        assert air2["promotion"]["label"] in reply
        assert f"{yuan(air2['promotion']['price_fen'])} 元" in reply


def test_stock_of_one_variant(shop):
    x1 = shop.product("X1")
    sku = next(s for s in x1["skus"] if s["stock"] == 0)
    wanted = sku["variant"].split("/")[0].strip()
    reply = shop.say(new_shopper(), f"X1手机{wanted}还有货吗")
    line = next(line for line in reply.splitlines() if wanted in line)
    assert "缺货" in line
    others = [s["variant"] for s in x1["skus"] if wanted not in s["variant"]]
    assert not any(variant in reply for variant in others)


def test_a_spec_then_a_follow_up_without_the_product(shop):
    air2 = shop.product("Air2")
    waterproof = next(s for s in air2["specs"] if s["key"] == "waterproof")
    sender = new_shopper()
    reply = shop.say(sender, "Air2防水吗")
    assert waterproof["value"] in reply
    # Same product, not named again: the price, then the white variant.
    reply = shop.say(sender, "多少钱")
    assert air2["name"] in reply and f"{yuan(air2['price_fen'])} 元" in reply
    reply = shop.say(sender, "有白色的吗")
    white = next(s for s in air2["skus"] if "白" in s["variant"])
    assert white["variant"] in reply
    assert ("有货" if white["stock"] > 0 else "缺货") in reply


def test_without_a_product_the_shopper_picks_one_from_the_buttons(shop):
    sender = new_shopper()
    messages = shop.send(sender, "防水吗")
    assert "哪一款" in messages[0]["text"]
    buttons = messages[0]["buttons"]
    assert buttons and all(b["payload"].startswith("/ask_product{") for b in buttons)
    product_id = json.loads(buttons[0]["payload"].removeprefix("/ask_product"))[
        "product"
    ]
    product = shop.product_by_id(product_id)
    assert buttons[0]["title"] == product["name"]
    # The button answers the question asked before it.
    reply = shop.say(sender, buttons[0]["payload"])
    spec = next((s for s in product["specs"] if s["key"] == "waterproof"), None)
    assert (spec["value"] if spec else "没有写到防水") in reply
