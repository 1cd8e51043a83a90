"""The order service over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.support.backends import Backends

WANG = "/v1/customers/C100001"
LI = "/v1/customers/C100002"
KEY = {"Idempotency-Key": "test-key-0001"}


async def test_lists_recent_orders_newest_first(backends: Backends) -> None:
    response = await backends.orders.get(f"{WANG}/orders", params={"limit": "3"})
    assert response.status == 200
    orders = (await response.json())["orders"]
    assert [o["order_number"] for o in orders] == [
        "XK202411110001",
        "XK202411110002",
        "XK202411110003",
    ]
    created = [o["created_at"] for o in orders]
    assert created == sorted(created, reverse=True)
    assert all(o["customer_id"] == "C100001" for o in orders)


async def test_filters_orders_by_status(backends: Backends) -> None:
    response = await backends.orders.get(f"{WANG}/orders", params={"status": "shipped"})
    orders = (await response.json())["orders"]
    assert [o["order_number"] for o in orders] == ["XK202411110003"]


async def test_get_order_accepts_lower_case_number(backends: Backends) -> None:
    response = await backends.orders.get(f"{WANG}/orders/xk202411110004")
    assert response.status == 200
    body = await response.json()
    assert body["order_number"] == "XK202411110004"
    assert body["status"] == "delivered"
    assert body["total_fen"] == 49900 + 2 * 12800
    earbuds = body["items"][0]
    assert earbuds["serial_numbers"] == ["SN3F7T1W6B2X"]
    assert earbuds["returned_quantity"] == 0
    assert body["delivered_at"] == "2024-11-17T14:30:00+08:00"


async def test_order_of_another_customer_is_not_found(backends: Backends) -> None:
    response = await backends.orders.get(f"{LI}/orders/XK202411110004")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "order_not_found"


async def test_shipments_list_tracking_events_newest_first(backends: Backends) -> None:
    response = await backends.orders.get(f"{WANG}/orders/XK202411110003/shipments")
    assert response.status == 200
    body = await response.json()
    (shipment,) = body["shipments"]
    assert shipment["carrier_name"] == "顺丰速运"
    assert shipment["tracking_number"] == "SF123456789012"
    assert shipment["status"] == "in_transit"
    assert shipment["estimated_delivery"] == "2024-11-21"
    times = [event["time"] for event in shipment["events"]]
    assert times == sorted(times, reverse=True)
    assert "上海转运中心" in shipment["events"][0]["status_text"]


async def test_no_reason_return_is_eligible_within_seven_days(
    backends: Backends,
) -> None:
    response = await backends.orders.get(
        f"{WANG}/orders/XK202411110004/items/EB-AIR2-WHT/return-eligibility",
        params={"reason": "no_reason"},
    )
    body = await response.json()
    assert response.status == 200
    assert body["eligible"] is True
    assert body["deadline"] == "2024-11-24"
    assert body["refund_fen"] == 49900


async def test_fresh_food_is_excluded_from_no_reason_returns(
    backends: Backends,
) -> None:
    response = await backends.orders.get(
        f"{WANG}/orders/XK202411110007/items/FF-CHERRY-2KG/return-eligibility"
    )
    body = await response.json()
    assert body["eligible"] is False
    assert body["code"] == "category_excluded"


async def test_quality_return_allowed_after_no_reason_window(
    backends: Backends,
) -> None:
    path = f"{WANG}/orders/XK202411110008/items/AC-CHG-65W/return-eligibility"
    no_reason = await (await backends.orders.get(path)).json()
    quality = await (
        await backends.orders.get(path, params={"reason": "quality_issue"})
    ).json()
    assert no_reason["code"] == "return_window_expired"
    assert quality["eligible"] is True


async def test_unshipped_order_is_not_returnable(backends: Backends) -> None:
    response = await backends.orders.get(
        f"{WANG}/orders/XK202411110002/items/AP-KT-17/return-eligibility"
    )
    assert (await response.json())["code"] == "order_not_delivered"


async def test_unknown_item_is_not_found(backends: Backends) -> None:
    response = await backends.orders.get(
        f"{WANG}/orders/XK202411110004/items/NOPE-1/return-eligibility"
    )
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "item_not_found"


async def test_create_return_then_get_and_list_it(backends: Backends) -> None:
    body = {
        "order_number": "XK202411110004",
        "items": [{"sku": "SK-SUN-50", "quantity": 1}],
        "reason": "no_reason",
        "description": "买多了",
    }
    response = await backends.orders.post(f"{WANG}/returns", json=body, headers=KEY)
    assert response.status == 201
    created = await response.json()
    assert created["rma_number"] == "RMA202411200001"
    assert created["status"] == "requested"
    assert created["refund_fen"] == 12800
    assert "RMA202411200001" in created["instructions"]

    fetched = await backends.orders.get(f"{WANG}/returns/rma202411200001")
    assert await fetched.json() == created
    listed = await (await backends.orders.get(f"{WANG}/returns")).json()
    assert listed["returns"][0] == created
    order = await (await backends.orders.get(f"{WANG}/orders/XK202411110004")).json()
    assert order["items"][1]["returned_quantity"] == 1


async def test_partial_returns_cannot_exceed_purchased_quantity(
    backends: Backends,
) -> None:
    def body(quantity: int) -> dict[str, object]:
        return {
            "order_number": "XK202411110004",
            "items": [{"sku": "SK-SUN-50", "quantity": quantity}],
            "reason": "no_reason",
        }

    first = await backends.orders.post(
        f"{WANG}/returns", json=body(1), headers={"Idempotency-Key": "partial-0001"}
    )
    assert first.status == 201
    second = await backends.orders.post(
        f"{WANG}/returns", json=body(2), headers={"Idempotency-Key": "partial-0002"}
    )
    assert second.status == 422
    assert (await second.json())["error"]["code"] == "quantity_exceeded"
    third = await backends.orders.post(
        f"{WANG}/returns", json=body(1), headers={"Idempotency-Key": "partial-0003"}
    )
    assert third.status == 201
    assert (await third.json())["rma_number"] == "RMA202411200002"


async def test_same_idempotency_key_gives_the_same_return(backends: Backends) -> None:
    body = {
        "order_number": "XK202411110004",
        "items": [{"sku": "EB-AIR2-WHT", "quantity": 1}],
        "reason": "no_reason",
    }
    first = await backends.orders.post(f"{WANG}/returns", json=body, headers=KEY)
    again = await backends.orders.post(f"{WANG}/returns", json=body, headers=KEY)
    assert (first.status, again.status) == (201, 200)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (await first.json()) == (await again.json())
    listed = await (await backends.orders.get(f"{WANG}/returns")).json()
    assert sum(r["order_number"] == "XK202411110004" for r in listed["returns"]) == 1


async def test_reused_key_with_different_request_conflicts(backends: Backends) -> None:
    body = {
        "order_number": "XK202411110004",
        "items": [{"sku": "EB-AIR2-WHT", "quantity": 1}],
        "reason": "no_reason",
    }
    await backends.orders.post(f"{WANG}/returns", json=body, headers=KEY)
    body["reason"] = "quality_issue"
    response = await backends.orders.post(f"{WANG}/returns", json=body, headers=KEY)
    assert response.status == 409
    assert (await response.json())["error"]["code"] == "idempotency_key_reused"


async def test_rejected_return_frees_the_units_again(backends: Backends) -> None:
    # RMA202411150003 (rejected) covered one of three units: all three are returnable,
    # but the order was delivered 8 days ago, past the no-reason window.
    response = await backends.orders.get(
        "/v1/customers/C100004/orders/XK202411110015/items/SK-SUN-50/return-eligibility",
        params={"reason": "quality_issue", "quantity": "3"},
    )
    body = await response.json()
    assert body["eligible"] is True
    assert body["returnable_quantity"] == 3


async def test_serial_number_lookup_finds_the_order_item(backends: Backends) -> None:
    response = await backends.orders.get(f"{WANG}/serial-numbers/sn3f7t1w6b2x")
    body = await response.json()
    assert response.status == 200
    assert body["order_number"] == "XK202411110004"
    assert body["warranty_months"] == 12
    assert body["purchase_date"] == "2024-11-14"
    other = await backends.orders.get(f"{LI}/serial-numbers/SN3F7T1W6B2X")
    assert other.status == 404


PHOTO = "media:" + "ab" * 32 + ".jpg"
OTHER_PHOTO = "media:" + "cd" * 32 + ".png"


async def test_return_keeps_its_photo_evidence(backends: Backends) -> None:
    body = {
        "order_number": "XK202411110004",
        "items": [{"sku": "EB-AIR2-WHT", "quantity": 1}],
        "reason": "quality_issue",
        "evidence": [PHOTO, OTHER_PHOTO, PHOTO],
    }
    response = await backends.orders.post(f"{WANG}/returns", json=body, headers=KEY)
    assert response.status == 201
    created = await response.json()
    assert created["evidence"] == [PHOTO, OTHER_PHOTO]
    rma = created["rma_number"]
    fetched = await (await backends.orders.get(f"{WANG}/returns/{rma}")).json()
    assert fetched["evidence"] == [PHOTO, OTHER_PHOTO]


async def test_return_without_evidence_has_an_empty_list(backends: Backends) -> None:
    body = {
        "order_number": "XK202411110004",
        "items": [{"sku": "EB-AIR2-WHT", "quantity": 1}],
        "reason": "no_reason",
    }
    response = await backends.orders.post(f"{WANG}/returns", json=body, headers=KEY)
    assert (await response.json())["evidence"] == []


@pytest.mark.parametrize(
    "evidence",
    [
        "media:" + "ab" * 32 + ".jpg",  # not a list
        ["https://evil.example/x.jpg"],
        ["media:" + "ab" * 32 + ".exe"],
        ["media:../../etc/passwd.jpg"],
        [PHOTO] * 3 + [OTHER_PHOTO] * 3,  # more than five
        [42],
    ],
)
async def test_malformed_evidence_is_refused(backends: Backends, evidence) -> None:
    body = {
        "order_number": "XK202411110004",
        "items": [{"sku": "EB-AIR2-WHT", "quantity": 1}],
        "reason": "quality_issue",
        "evidence": evidence,
    }
    before = await (await backends.orders.get(f"{WANG}/returns")).json()
    response = await backends.orders.post(f"{WANG}/returns", json=body, headers=KEY)
    assert response.status == 400
    assert "evidence" in (await response.json())["error"]["message"]
    after = await (await backends.orders.get(f"{WANG}/returns")).json()
    assert after == before


async def test_same_key_with_other_evidence_conflicts(backends: Backends) -> None:
    body = {
        "order_number": "XK202411110004",
        "items": [{"sku": "EB-AIR2-WHT", "quantity": 1}],
        "reason": "quality_issue",
        "evidence": [PHOTO],
    }
    await backends.orders.post(f"{WANG}/returns", json=body, headers=KEY)
    body["evidence"] = [OTHER_PHOTO]
    response = await backends.orders.post(f"{WANG}/returns", json=body, headers=KEY)
    assert response.status == 409
