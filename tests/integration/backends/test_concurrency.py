"""Races: one idempotency key gives one RMA; one serial number has one owner."""

from __future__ import annotations

import asyncio

from tests.support.backends import Backends


async def test_simultaneous_creates_with_one_key_make_one_return(
    backends: Backends,
) -> None:
    body = {
        "order_number": "XK202411110004",
        "items": [{"sku": "EB-AIR2-WHT", "quantity": 1}],
        "reason": "no_reason",
    }

    async def create() -> tuple[int, str]:
        response = await backends.orders.post(
            "/v1/customers/C100001/returns",
            json=body,
            headers={"Idempotency-Key": "race-key-0001"},
        )
        return response.status, (await response.json())["rma_number"]

    results = await asyncio.gather(*(create() for _ in range(4)))
    assert sorted(status for status, _ in results) == [200, 200, 200, 201]
    assert len({rma for _, rma in results}) == 1
    listed = await (await backends.orders.get("/v1/customers/C100001/returns")).json()
    assert sum(r["order_number"] == "XK202411110004" for r in listed["returns"]) == 1


async def test_simultaneous_returns_cannot_overdraw_a_line(backends: Backends) -> None:
    # Two units of SK-SUN-50; three concurrent single-unit returns, distinct keys.
    async def create(index: int) -> int:
        response = await backends.orders.post(
            "/v1/customers/C100001/returns",
            json={
                "order_number": "XK202411110004",
                "items": [{"sku": "SK-SUN-50", "quantity": 1}],
                "reason": "no_reason",
            },
            headers={"Idempotency-Key": f"overdraw-{index:04d}"},
        )
        return response.status

    statuses = await asyncio.gather(*(create(i) for i in range(3)))
    assert sorted(statuses) == [201, 201, 422]


async def test_two_customers_registering_one_serial_one_succeeds(
    backends: Backends,
) -> None:
    body = {
        "serial_number": "SN2C6V8N4X1L",
        "sku": "PH-X1P-512-WHT",
        "product_name": "小客 X1 Pro 智能手机 512GB 云白",
        "purchase_date": "2024-11-15",
        "standard_months": 12,
    }

    async def register(customer: str) -> tuple[int, str]:
        response = await backends.crm.post(
            f"/v1/customers/{customer}/warranties", json=body
        )
        payload = await response.json()
        return response.status, payload.get("customer_id") or payload["error"]["code"]

    results = await asyncio.gather(register("C100003"), register("C100004"))
    assert sorted(status for status, _ in results) == [201, 409]
    winner = next(owner for status, owner in results if status == 201)
    loser = next(code for status, code in results if status == 409)
    assert loser == "serial_already_registered"
    status = await (await backends.crm.get("/v1/warranties/SN2C6V8N4X1L")).json()
    assert status["customer_id"] == winner


async def test_two_customers_binding_one_openid_one_succeeds(
    backends: Backends,
) -> None:
    async def bind(phone: str, order_number: str) -> int:
        response = await backends.crm.post(
            "/v1/identities",
            json={
                "channel": "wechat",
                "external_id": "race-openid-001",
                "phone": phone,
                "order_number": order_number,
            },
        )
        return response.status

    statuses = await asyncio.gather(
        bind("13700001111", "XK202411110012"), bind("13600002222", "XK202411110015")
    )
    assert sorted(statuses) == [201, 409]
