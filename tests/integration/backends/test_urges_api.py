"""Shipping urges (催发货) over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.backends import Backends, DatabaseUrls, prepare_database

WANG = "/v1/customers/C100001"
PAID = f"{WANG}/orders/XK202411110002/urges"
# NOW of tests/support/backends.py, as the service renders it.
NOW = "2024-11-20T10:00:00+08:00"


async def urge(backends: Backends, path: str = PAID, channel: str = "wechat"):
    response = await backends.orders.post(path, json={"channel": channel})
    return response.status, await response.json()


async def test_urging_a_paid_order_records_it(backends: Backends) -> None:
    status, body = await urge(backends)
    assert status == 201
    assert body == {
        "order_number": "XK202411110002",
        "urge_count": 1,
        "latest_urge_at": NOW,
    }
    listed = await (await backends.orders.get(PAID)).json()
    assert listed == {
        "order_number": "XK202411110002",
        "urge_count": 1,
        "latest_urge_at": NOW,
        "urges": [{"channel": "wechat", "created_at": NOW}],
    }


async def test_repeated_urges_are_all_recorded_and_counted(backends: Backends) -> None:
    counts = [
        (await urge(backends, channel=channel))[1]["urge_count"]
        for channel in ("wechat", "web", "wechat")
    ]
    assert counts == [1, 2, 3]
    listed = await (await backends.orders.get(PAID, params={"limit": "2"})).json()
    assert listed["urge_count"] == 3
    assert listed["latest_urge_at"] == NOW
    # Newest first; same timestamp (fixed clock), so the later insert leads.
    assert [u["channel"] for u in listed["urges"]] == ["wechat", "web"]


async def test_lower_case_order_number_is_accepted(backends: Backends) -> None:
    status, body = await urge(backends, f"{WANG}/orders/xk202411110002/urges")
    assert status == 201
    assert body["order_number"] == "XK202411110002"


@pytest.mark.parametrize(
    ("order_number", "status"),
    [
        ("XK202411110001", "unpaid"),
        ("XK202411110003", "shipped"),
        ("XK202411110004", "delivered"),
    ],
)
async def test_only_paid_orders_can_be_urged(
    backends: Backends, order_number: str, status: str
) -> None:
    path = f"{WANG}/orders/{order_number}/urges"
    code, body = await urge(backends, path)
    assert code == 422
    assert body["error"]["code"] == "order_not_awaiting_shipment"
    assert status in body["error"]["message"]
    listed = await (await backends.orders.get(path)).json()
    assert listed == {
        "order_number": order_number,
        "urge_count": 0,
        "latest_urge_at": None,
        "urges": [],
    }


@pytest.mark.parametrize(
    "path",
    [
        f"{WANG}/orders/XK209901010001/urges",
        # XK202411110002 is 王芳's; 李强 (C100002) may not urge or see it.
        "/v1/customers/C100002/orders/XK202411110002/urges",
    ],
    ids=["unknown order", "another customer's order"],
)
async def test_order_that_is_not_theirs_is_not_found(
    backends: Backends, path: str
) -> None:
    status, body = await urge(backends, path)
    assert status == 404
    assert body["error"]["code"] == "order_not_found"
    response = await backends.orders.get(path)
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "order_not_found"
    # Nothing was recorded on the real owner's order either.
    assert (await (await backends.orders.get(PAID)).json())["urge_count"] == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"channel": "WeChat!"}, {"channel": 7}, ["wechat"]],
    ids=["missing", "malformed", "not a string", "not an object"],
)
async def test_malformed_channel_is_invalid_input(
    backends: Backends, body: object
) -> None:
    response = await backends.orders.post(PAID, json=body)
    assert response.status == 400
    assert (await response.json())["error"]["code"] == "invalid_input"
    assert (await (await backends.orders.get(PAID)).json())["urge_count"] == 0


async def test_malformed_order_number_is_invalid_input(backends: Backends) -> None:
    status, body = await urge(backends, f"{WANG}/orders/XK1/urges")
    assert status == 400
    assert body["error"]["code"] == "invalid_input"


async def test_simultaneous_urges_each_see_a_distinct_count(
    backends: Backends,
) -> None:
    # The order row is locked while an urge is recorded, so counts never repeat.
    results = await asyncio.gather(*(urge(backends) for _ in range(5)))
    assert [status for status, _ in results] == [201] * 5
    assert sorted(body["urge_count"] for _, body in results) == [1, 2, 3, 4, 5]
    assert (await (await backends.orders.get(PAID)).json())["urge_count"] == 5


async def test_reseeding_clears_urges(
    backends: Backends, database_urls: DatabaseUrls
) -> None:
    # The demo data is replaced by deleting orders; their urges must go first.
    await urge(backends)
    await prepare_database("orders", database_urls.orders)
    assert (await (await backends.orders.get(PAID)).json())["urge_count"] == 0
