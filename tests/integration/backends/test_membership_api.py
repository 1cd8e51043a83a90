"""Membership in the CRM over HTTP: tiers, rewards, redemptions, points per order.

On SQLite and PostgreSQL, with the demo data of tests/support/backends.py
(王芳 C100001 gold 8,799 points, 李强 C100002 diamond 9,499, 张伟 C100003
silver 1,700, 刘洋 C100004 regular 380).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import delete, update

from bot.backends.common import db
from bot.backends.common.timeutil import fixed_clock
from bot.backends.crm.app import create_app as create_crm_app
from bot.backends.crm.models import Reward, TierBenefit
from tests.support.backends import (
    AUTH,
    Backends,
    DatabaseUrls,
    prepare_database,
    settings,
)
from tests.support.backends import NOW as CLOCK_NOW

WANG = "/v1/customers/C100001"
LI = "/v1/customers/C100002"
ZHANG = "/v1/customers/C100003"
LIU = "/v1/customers/C100004"
# NOW of tests/support/backends.py, as the service renders it.
NOW = "2024-11-20T10:00:00+08:00"
CODE_RE = re.compile(r"XK-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}")


async def get(backends: Backends, path: str) -> tuple[int, Any]:
    response = await backends.crm.get(path)
    return response.status, await response.json()


async def redeem(
    backends: Backends, customer: str, reward_id: str, key: str
) -> tuple[int, Any]:
    response = await backends.crm.post(
        f"{customer}/redemptions",
        json={"reward_id": reward_id, "idempotency_key": key},
    )
    return response.status, await response.json()


async def balance(backends: Backends, customer: str) -> int:
    points: int = (await get(backends, f"{customer}/loyalty"))[1]["points_balance"]
    return points


async def spends(backends: Backends, customer: str) -> list[dict[str, Any]]:
    _, body = await get(backends, f"{customer}/loyalty/ledger?limit=100")
    return [e for e in body["entries"] if e["description"].startswith("兑换 ")]


async def stock(backends: Backends, reward_id: str) -> int | None:
    _, body = await get(backends, f"{WANG}/rewards")
    found = [r["stock"] for r in body["rewards"] if r["reward_id"] == reward_id]
    return found[0]


# --- tiers and membership ------------------------------------------------------------


async def test_tiers_come_lowest_first_with_their_benefits(backends: Backends) -> None:
    status, body = await get(backends, "/v1/tiers")
    assert status == 200
    tiers = body["tiers"]
    assert [(t["tier"], t["name"], t["threshold"]) for t in tiers] == [
        ("regular", "普通会员", 0),
        ("silver", "银卡会员", 2000),
        ("gold", "金卡会员", 10000),
        ("diamond", "钻石会员", 30000),
    ]
    assert all(tier["benefits"] for tier in tiers)
    gold = {b["code"]: b for b in tiers[2]["benefits"]}
    assert gold["free_shipping"]["title"] == "全年包邮"
    assert gold["free_shipping"]["detail"]


async def test_membership_says_what_the_next_tier_adds(backends: Backends) -> None:
    status, body = await get(backends, f"{WANG}/membership")
    assert status == 200
    assert body["customer_id"] == "C100001"
    assert (body["growth_value"], body["points_to_next"]) == (13999, 16001)
    assert body["current"]["tier"] == "gold"
    assert body["next"]["tier"] == "diamond"
    # Upgraded (same code, new title) or new; what gold already has is left out.
    assert [(b["code"], b["title"]) for b in body["next_adds"]] == [
        ("birthday_coupon", "生日100元券"),
        ("priority_service", "专属客服"),
        ("price_protection", "30天价保"),
    ]


async def test_top_tier_has_no_next_tier(backends: Backends) -> None:
    _, body = await get(backends, f"{LI}/membership")
    assert body["current"]["tier"] == "diamond"
    assert (body["next"], body["next_adds"], body["points_to_next"]) == (None, [], 0)


async def test_regular_member_sees_silver_benefits(backends: Backends) -> None:
    _, body = await get(backends, f"{LIU}/membership")
    assert (body["current"]["tier"], body["next"]["tier"]) == ("regular", "silver")
    assert body["points_to_next"] == 2000 - 380
    codes = [b["code"] for b in body["next_adds"]]
    assert codes == ["birthday_coupon", "shipping_coupons"]


async def test_membership_of_unknown_customer_is_not_found(backends: Backends) -> None:
    status, body = await get(backends, "/v1/customers/C999999/membership")
    assert status == 404
    assert body["error"]["code"] == "loyalty_account_not_found"


# --- rewards -------------------------------------------------------------------------


async def test_rewards_on_offer_with_balance_and_affordability(
    backends: Backends,
) -> None:
    status, body = await get(backends, f"{ZHANG}/rewards")
    assert status == 200
    assert body["balance"] == 1700
    rewards = {r["reward_id"]: r for r in body["rewards"]}
    # Cheapest first; the offer that ended yesterday is not listed.
    assert [r["points"] for r in body["rewards"]] == sorted(
        r["points"] for r in body["rewards"]
    )
    assert "cpn-double11" not in rewards
    assert rewards["cpn-5"] == {
        "reward_id": "cpn-5",
        "name": "5元无门槛券",
        "kind": "coupon",
        "points": 500,
        "stock": None,
        "valid_until": "2025-11-20",
        "affordable": True,
    }
    assert rewards["gift-tote"]["stock"] == 0  # out of stock, still listed
    assert rewards["gift-cable"]["affordable"] is True
    assert rewards["cpn-20"]["affordable"] is False
    assert rewards["gift-air2"]["affordable"] is False


# --- redemptions ---------------------------------------------------------------------


async def test_redemption_spends_points_and_returns_a_code(backends: Backends) -> None:
    response = await backends.crm.post(
        f"{WANG}/redemptions",
        json={"reward_id": "cpn-20", "idempotency_key": "redeem-wang-0001"},
    )
    assert response.status == 201
    assert response.headers["Idempotent-Replayed"] == "false"
    body = await response.json()
    assert CODE_RE.fullmatch(body.pop("coupon_code"))
    assert isinstance(body.pop("redemption_id"), int)
    assert body == {
        "reward_id": "cpn-20",
        "reward_name": "20元无门槛券",
        "points": 2000,
        "balance_after": 6799,
        "expires_on": "2024-12-20",
        "redeemed_at": NOW,
    }
    assert await balance(backends, WANG) == 6799
    [entry] = await spends(backends, WANG)
    assert (entry["kind"], entry["points"], entry["description"]) == (
        "spend",
        -2000,
        "兑换 20元无门槛券",
    )
    assert await stock(backends, "cpn-20") == 56


async def test_same_key_twice_is_one_redemption_and_one_ledger_entry(
    backends: Backends,
) -> None:
    first = await redeem(backends, WANG, "cpn-5", "redeem-twice-0001")
    response = await backends.crm.post(
        f"{WANG}/redemptions",
        json={"reward_id": "cpn-5", "idempotency_key": "redeem-twice-0001"},
    )
    assert (first[0], response.status) == (201, 200)
    assert response.headers["Idempotent-Replayed"] == "true"
    assert await response.json() == first[1]
    assert len(await spends(backends, WANG)) == 1
    assert await balance(backends, WANG) == 8799 - 500


async def test_same_key_for_another_reward_is_refused(backends: Backends) -> None:
    assert (await redeem(backends, WANG, "cpn-5", "redeem-reuse-0001"))[0] == 201
    status, body = await redeem(backends, WANG, "cpn-20", "redeem-reuse-0001")
    assert status == 409
    assert body["error"]["code"] == "idempotency_key_reused"
    assert len(await spends(backends, WANG)) == 1


async def test_keys_belong_to_one_customer(backends: Backends) -> None:
    # The same key from two customers is two redemptions.
    assert (await redeem(backends, WANG, "cpn-5", "shared-key-0001"))[0] == 201
    assert (await redeem(backends, ZHANG, "cpn-5", "shared-key-0001"))[0] == 201
    assert await balance(backends, ZHANG) == 1200


async def test_insufficient_points_says_balance_and_price(backends: Backends) -> None:
    status, body = await redeem(backends, LIU, "cpn-5", "redeem-poor-0001")
    assert status == 409
    assert body["error"]["code"] == "insufficient_points"
    assert body["error"]["details"] == {"balance": 380, "needed": 500}
    assert await spends(backends, LIU) == []
    assert await balance(backends, LIU) == 380


@pytest.mark.parametrize(
    ("reward_id", "status", "code"),
    [
        ("cpn-double11", 409, "reward_expired"),
        ("gift-tote", 409, "reward_out_of_stock"),
        ("no-such-reward", 404, "reward_not_found"),
    ],
)
async def test_unredeemable_rewards_are_refused_without_spending(
    backends: Backends, reward_id: str, status: int, code: str
) -> None:
    got, body = await redeem(backends, WANG, reward_id, "redeem-refused-0001")
    assert (got, body["error"]["code"]) == (status, code)
    assert "details" not in body["error"]
    assert await balance(backends, WANG) == 8799
    # A refused key is not used up: it can redeem something else afterwards.
    assert (await redeem(backends, WANG, "cpn-5", "redeem-refused-0001"))[0] == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"reward_id": "cpn-5"},
        {"reward_id": "cpn-5", "idempotency_key": "short"},
        {"reward_id": "CPN-5", "idempotency_key": "redeem-bad-0001"},
        {"reward_id": "cpn-5", "idempotency_key": "redeem-bad-0001", "extra": 1},
        ["cpn-5"],
    ],
    ids=["empty", "no key", "short key", "upper-case id", "unknown field", "array"],
)
async def test_malformed_redemption_is_invalid_input(
    backends: Backends, body: object
) -> None:
    response = await backends.crm.post(f"{WANG}/redemptions", json=body)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "invalid_input"
    assert await balance(backends, WANG) == 8799


async def test_concurrent_redemptions_never_overdraw(backends: Backends) -> None:
    # 张伟 has 1,700 points: three 500-point coupons, not ten.
    results = await asyncio.gather(
        *(redeem(backends, ZHANG, "cpn-5", f"race-redeem-{i:04d}") for i in range(10))
    )
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * 3 + [409] * 7
    refused = {body["error"]["code"] for status, body in results if status == 409}
    assert refused == {"insufficient_points"}
    balances = sorted(body["balance_after"] for s, body in results if s == 201)
    assert balances == [200, 700, 1200]
    assert await balance(backends, ZHANG) == 200
    assert len(await spends(backends, ZHANG)) == 3


async def test_concurrent_repeats_of_one_key_redeem_once(backends: Backends) -> None:
    results = await asyncio.gather(
        *(redeem(backends, WANG, "cpn-20", "race-one-key-0001") for _ in range(5))
    )
    assert sorted(status for status, _ in results) == [200, 200, 200, 200, 201]
    assert len({body["coupon_code"] for _, body in results}) == 1
    assert len(await spends(backends, WANG)) == 1
    assert await stock(backends, "cpn-20") == 56


async def test_last_unit_goes_to_one_customer(
    backends: Backends, database_urls: DatabaseUrls
) -> None:
    engine = db.create_engine(database_urls.crm)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                update(Reward).where(Reward.id == "gift-cable").values(stock=1)
            )
    finally:
        await engine.dispose()
    results = await asyncio.gather(
        redeem(backends, WANG, "gift-cable", "last-unit-0001"),
        redeem(backends, LI, "gift-cable", "last-unit-0002"),
    )
    assert sorted(status for status, _ in results) == [201, 409]
    loser = next(body for status, body in results if status == 409)
    assert loser["error"]["code"] == "reward_out_of_stock"
    assert await stock(backends, "gift-cable") == 0
    assert len(await spends(backends, WANG)) + len(await spends(backends, LI)) == 1


# --- points per order ----------------------------------------------------------------


async def test_points_an_order_earned_come_from_the_ledger(backends: Backends) -> None:
    status, body = await get(backends, f"{WANG}/orders/xk202411110005/points")
    assert status == 200
    assert body["order_number"] == "XK202411110005"
    assert (body["earned"], body["spent"], body["pending"]) == (3999, 0, 0)
    assert [(e["kind"], e["points"]) for e in body["entries"]] == [("earn", 3999)]


async def test_points_used_to_pay_an_order_are_spent(backends: Backends) -> None:
    _, body = await get(backends, f"{WANG}/orders/XK202411110008/points")
    assert (body["earned"], body["spent"]) == (0, 1200)
    # Delivered, not credited yet: 65W charger, 149 yuan.
    assert body["pending"] == 149
    assert [(e["kind"], e["description"]) for e in body["entries"]] == [
        ("spend", "积分抵现")
    ]


@pytest.mark.parametrize(
    ("path", "pending"),
    [
        # Delivered: Air2 499 yuan + two sunscreens 128 yuan each.
        (f"{WANG}/orders/XK202411110004/points", 755),
        (f"{WANG}/orders/XK202411110002/points", 129),  # paid kettle
        (f"{WANG}/orders/XK202411110001/points", 0),  # unpaid
        (f"{WANG}/orders/XK202411110006/points", 0),  # returned and refunded
        (f"{ZHANG}/orders/XK202411110014/points", 0),  # cancelled
        # Two Air2, one under a requested return: only the kept one earns.
        (f"{LI}/orders/XK202411110010/points", 499),
    ],
)
async def test_pending_points_follow_the_order(
    backends: Backends, path: str, pending: int
) -> None:
    status, body = await get(backends, path)
    assert status == 200
    assert (body["earned"], body["spent"], body["pending"]) == (0, 0, pending)
    assert body["entries"] == []


@pytest.mark.parametrize(
    "path",
    [f"{WANG}/orders/XK209901010001/points", f"{LI}/orders/XK202411110005/points"],
    ids=["unknown order", "another customer's order"],
)
async def test_order_that_is_not_theirs_has_no_points(
    backends: Backends, path: str
) -> None:
    status, body = await get(backends, path)
    assert status == 404
    assert body["error"]["code"] == "order_not_found"


async def test_malformed_order_number_is_invalid_input(backends: Backends) -> None:
    status, body = await get(backends, f"{WANG}/orders/XK1/points")
    assert (status, body["error"]["code"]) == (400, "invalid_input")


async def test_order_points_without_the_order_service(
    database_urls: DatabaseUrls,
) -> None:
    await prepare_database("crm", database_urls.crm)
    app = create_crm_app(
        settings("crm", database_urls.crm, "http://127.0.0.1:1"),
        clock=fixed_clock(CLOCK_NOW),
    )
    async with TestClient(TestServer(app), headers=AUTH) as crm:
        # Earned points are the ledger's word: the order service is not needed.
        earned = await crm.get(f"{WANG}/orders/XK202411110005/points")
        assert earned.status == 200
        assert (await earned.json())["earned"] == 3999
        # What an order has still to earn is the order service's to say.
        pending = await crm.get(f"{WANG}/orders/XK202411110004/points")
        assert pending.status == 503
        assert (await pending.json())["error"]["code"] == "orders_unavailable"


async def test_older_demo_database_gets_the_catalogue_on_start(
    database_urls: DatabaseUrls,
) -> None:
    # A CRM database seeded before tier benefits and rewards existed.
    await prepare_database("crm", database_urls.crm)
    engine = db.create_engine(database_urls.crm)
    try:
        async with engine.begin() as connection:
            await connection.execute(delete(TierBenefit))
            await connection.execute(delete(Reward))
    finally:
        await engine.dispose()
    app = create_crm_app(
        settings("crm", database_urls.crm).with_changes(seed_when_empty=True),
        clock=fixed_clock(CLOCK_NOW),
    )
    async with TestClient(TestServer(app), headers=AUTH) as crm:
        tiers = await (await crm.get("/v1/tiers")).json()
        assert all(tier["benefits"] for tier in tiers["tiers"])
        rewards = await (await crm.get(f"{WANG}/rewards")).json()
        # The customers' points were left as they were.
        assert (rewards["balance"], len(rewards["rewards"])) == (8799, 7)
