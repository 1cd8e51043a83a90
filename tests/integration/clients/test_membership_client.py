"""The CRM client's membership methods against the real order and CRM apps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from actions.clients.crm import CrmClient
from actions.clients.errors import NotFound, Rejected
from actions.clients.http import ClientSettings, close_session
from actions.clients.orders import new_idempotency_key
from tests.support.backends import TOKEN, Backends


@pytest.fixture
async def crm(backends: Backends) -> AsyncIterator[CrmClient]:
    yield CrmClient(
        ClientSettings(
            orders_url=backends.orders_url,
            crm_url=backends.crm_url,
            token=TOKEN,
            timeout=5.0,
            retries=0,
        )
    )
    await close_session()


async def test_tiers_and_membership(crm: CrmClient) -> None:
    tiers = await crm.tiers()
    assert [tier["tier"] for tier in tiers] == ["regular", "silver", "gold", "diamond"]
    membership = await crm.membership("C100003")
    assert membership["current"]["name"] == "银卡会员"
    assert membership["next"] is not None
    assert membership["next"]["tier"] == "gold"
    assert membership["points_to_next"] == 10000 - membership["growth_value"]
    assert {b["code"] for b in membership["next_adds"]} >= {"free_shipping"}


async def test_rewards_then_redeem_twice_with_one_key(crm: CrmClient) -> None:
    offer = await crm.rewards_for("C100003")
    affordable = [r for r in offer["rewards"] if r["affordable"] and r["stock"] != 0]
    assert [r["reward_id"] for r in affordable] == ["cpn-5", "gift-cable"]
    key = new_idempotency_key()
    first = await crm.redeem("C100003", "cpn-5", key)
    again = await crm.redeem("C100003", "cpn-5", key)
    assert again == first
    assert first["balance_after"] == offer["balance"] - 500
    assert first["coupon_code"].startswith("XK-")
    assert (await crm.rewards_for("C100003"))["balance"] == first["balance_after"]
    spends = [
        e for e in await crm.ledger("C100003") if e["description"] == "兑换 5元无门槛券"
    ]
    assert len(spends) == 1


async def test_insufficient_points_is_rejected_with_details(crm: CrmClient) -> None:
    with pytest.raises(Rejected) as refused:
        await crm.redeem("C100004", "cpn-5", new_idempotency_key())
    assert (refused.value.code, refused.value.status) == ("insufficient_points", 409)
    assert refused.value.details == {"balance": 380, "needed": 500}


@pytest.mark.parametrize(
    ("reward_id", "code"),
    [("cpn-double11", "reward_expired"), ("gift-tote", "reward_out_of_stock")],
)
async def test_unredeemable_reward_is_rejected(
    crm: CrmClient, reward_id: str, code: str
) -> None:
    with pytest.raises(Rejected) as refused:
        await crm.redeem("C100001", reward_id, new_idempotency_key())
    assert (refused.value.code, refused.value.details) == (code, {})


async def test_unknown_reward_is_not_found(crm: CrmClient) -> None:
    with pytest.raises(NotFound) as missing:
        await crm.redeem("C100001", "no-such-reward", new_idempotency_key())
    assert missing.value.code == "reward_not_found"


async def test_order_points(crm: CrmClient) -> None:
    earned = await crm.order_points("C100001", "XK202411110005")
    assert (earned["earned"], earned["pending"]) == (3999, 0)
    assert earned["entries"][0]["order_number"] == "XK202411110005"
    used = await crm.order_points("C100001", "XK202411110008")
    assert (used["spent"], used["pending"]) == (1200, 149)
    with pytest.raises(NotFound) as missing:
        await crm.order_points("C100002", "XK202411110005")
    assert missing.value.code == "order_not_found"
