"""Real responses checked against bot/backends/openapi.yaml.

Runs against the reference services (SQLite and PostgreSQL). To check a
merchant's adapter instead, set CONTRACT_ORDERS_URL, CONTRACT_CRM_URL,
CONTRACT_TOKEN and optionally CONTRACT_IDS (a copy of
tests/fixtures/backends/contract_ids.json with ids from their test data).
Creating returns, binding and registering write to that system.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.support.backends import Backends
from tests.support.contract import Contract

IDS_PATH = Path(__file__).resolve().parents[2] / "fixtures/backends/contract_ids.json"

Send = Callable[[str, str, str, dict[str, Any]], Awaitable[tuple[int, Any]]]


def contract_cases(
    ids: dict[str, str],
) -> list[tuple[str, str, str, dict[str, Any], int]]:
    """(service, method, path, request options, expected status), in order."""
    customer = f"/v1/customers/{ids['customer_id']}"
    delivered = f"{customer}/orders/{ids['delivered_order_number']}"
    paid = f"{customer}/orders/{ids['paid_order_number']}"
    urge: dict[str, Any] = {"json": {"channel": ids["channel"]}}
    key = f"contract-{uuid.uuid4().hex}"
    create_body: dict[str, Any] = {
        "order_number": ids["delivered_order_number"],
        "items": [{"sku": ids["delivered_sku"], "quantity": 1}],
        "reason": "no_reason",
    }
    create: dict[str, Any] = {
        "json": create_body,
        "headers": {"Idempotency-Key": key},
    }
    warranty = {
        "json": {
            "serial_number": ids["unregistered_serial_number"],
            "sku": ids["unregistered_serial_sku"],
            "product_name": "合同测试商品",
            "purchase_date": "2024-11-01",
            "standard_months": 12,
        }
    }
    unbound = f"/v1/customers/{ids['unbound_customer_id']}"
    redeem: dict[str, Any] = {
        "json": {
            "reward_id": ids["affordable_reward_id"],
            "idempotency_key": f"{key}-redeem",
        }
    }
    too_dear: dict[str, Any] = {
        "json": {
            "reward_id": ids["unaffordable_reward_id"],
            "idempotency_key": f"{key}-too-dear",
        }
    }
    unknown_reward: dict[str, Any] = {
        "json": {"reward_id": "no-such-reward", "idempotency_key": f"{key}-unknown"}
    }
    return [
        ("orders", "GET", "/health", {}, 200),
        ("orders", "GET", f"{customer}/orders", {}, 200),
        ("orders", "GET", f"{customer}/orders", {"params": {"limit": "0"}}, 400),
        ("orders", "GET", delivered, {}, 200),
        ("orders", "GET", f"{customer}/orders/{ids['unknown_order_number']}", {}, 404),
        ("orders", "GET", f"{customer}/orders/XK1", {}, 400),
        (
            "orders",
            "GET",
            f"{customer}/orders/{ids['shipped_order_number']}/shipments",
            {},
            200,
        ),
        (
            "orders",
            "GET",
            f"{delivered}/items/{ids['delivered_sku']}/return-eligibility",
            {},
            200,
        ),
        (
            "orders",
            "GET",
            f"{customer}/orders/{ids['excluded_order_number']}/items/"
            f"{ids['excluded_sku']}/return-eligibility",
            {},
            200,
        ),
        ("orders", "GET", f"{delivered}/items/NOPE-1/return-eligibility", {}, 404),
        ("orders", "POST", f"{paid}/urges", urge, 201),
        ("orders", "POST", f"{paid}/urges", urge, 201),
        ("orders", "GET", f"{paid}/urges", {}, 200),
        ("orders", "GET", f"{delivered}/urges", {}, 200),
        ("orders", "POST", f"{delivered}/urges", urge, 422),
        ("orders", "POST", f"{paid}/urges", {"json": {"channel": "?"}}, 400),
        (
            "orders",
            "POST",
            f"{customer}/orders/{ids['unknown_order_number']}/urges",
            urge,
            404,
        ),
        (
            "orders",
            "GET",
            f"/v1/customers/{ids['other_customer_id']}/orders/"
            f"{ids['paid_order_number']}/urges",
            {},
            404,
        ),
        (
            "orders",
            "GET",
            f"{customer}/serial-numbers/{ids['sold_serial_number']}",
            {},
            200,
        ),
        ("orders", "POST", f"{customer}/returns", create, 201),
        ("orders", "POST", f"{customer}/returns", create, 200),
        (
            "orders",
            "POST",
            f"{customer}/returns",
            {**create, "json": {**create_body, "reason": "quality_issue"}},
            409,
        ),
        (
            "orders",
            "POST",
            f"{customer}/returns",
            {
                "json": {
                    **create_body,
                    "items": [{"sku": ids["delivered_sku"], "quantity": 99}],
                },
                "headers": {"Idempotency-Key": f"{key}-too-many"},
            },
            422,
        ),
        ("orders", "POST", f"{customer}/returns", {"json": {}}, 400),
        ("orders", "GET", f"{customer}/returns", {}, 200),
        ("orders", "GET", f"{customer}/returns/{ids['existing_rma_number']}", {}, 200),
        ("orders", "GET", f"{customer}/returns/RMA209901010001", {}, 404),
        ("orders", "GET", "/v1/products", {"params": {"q": ids["product_query"]}}, 200),
        ("orders", "GET", "/v1/products", {}, 200),
        ("orders", "GET", "/v1/products", {"params": {"limit": "21"}}, 400),
        ("orders", "GET", f"/v1/products/{ids['product_id']}", {}, 200),
        ("orders", "GET", f"/v1/products/{ids['unknown_product_id']}", {}, 404),
        ("orders", "GET", "/v1/products/not_a_product", {}, 400),
        (
            "crm",
            "GET",
            f"/v1/identities/{ids['channel']}/{ids['bound_external_id']}",
            {},
            200,
        ),
        (
            "crm",
            "GET",
            f"/v1/identities/{ids['channel']}/{ids['unbound_external_id']}",
            {},
            404,
        ),
        (
            "crm",
            "POST",
            "/v1/identities",
            {
                "json": {
                    "channel": ids["channel"],
                    "external_id": ids["unbound_external_id"],
                    "phone": ids["unbound_phone"],
                    "order_number": ids["delivered_order_number"],
                }
            },
            422,
        ),
        (
            "crm",
            "POST",
            "/v1/identities",
            {
                "json": {
                    "channel": ids["channel"],
                    "external_id": ids["unbound_external_id"],
                    "phone": ids["unbound_phone"],
                    "order_number": ids["unbound_order_number"],
                }
            },
            201,
        ),
        ("crm", "POST", "/v1/identities", {"json": {"channel": "wechat"}}, 400),
        ("crm", "GET", customer, {}, 200),
        ("crm", "GET", "/v1/customers/C999999", {}, 404),
        ("crm", "GET", f"{customer}/loyalty", {}, 200),
        ("crm", "GET", f"{customer}/loyalty/ledger", {}, 200),
        ("crm", "GET", f"{customer}/warranties", {}, 200),
        ("crm", "POST", f"{unbound}/warranties", warranty, 201),
        ("crm", "POST", f"{unbound}/warranties", warranty, 200),
        (
            "crm",
            "POST",
            f"/v1/customers/{ids['other_customer_id']}/warranties",
            warranty,
            409,
        ),
        ("crm", "GET", f"/v1/warranties/{ids['registered_serial_number']}", {}, 200),
        ("crm", "GET", "/v1/warranties/SN0000000000", {}, 404),
        ("crm", "GET", "/v1/warranties/not-a-serial", {}, 400),
        ("crm", "GET", customer, {"headers": {"Authorization": "Bearer wrong"}}, 401),
        ("crm", "GET", "/v1/tiers", {}, 200),
        ("crm", "GET", f"{customer}/membership", {}, 200),
        ("crm", "GET", "/v1/customers/C999999/membership", {}, 404),
        ("crm", "GET", f"{customer}/rewards", {}, 200),
        ("crm", "POST", f"{customer}/redemptions", redeem, 201),
        ("crm", "POST", f"{customer}/redemptions", redeem, 200),
        ("crm", "POST", f"{customer}/redemptions", too_dear, 409),
        ("crm", "POST", f"{customer}/redemptions", unknown_reward, 404),
        ("crm", "POST", f"{customer}/redemptions", {"json": {"reward_id": "x"}}, 400),
        ("crm", "GET", f"{delivered}/points", {}, 200),
        (
            "crm",
            "GET",
            f"{customer}/orders/{ids['unknown_order_number']}/points",
            {},
            404,
        ),
    ]


async def run_contract(send: Send, ids: dict[str, str]) -> None:
    """Send every case, check each response, and that every operation was covered."""
    contract = Contract()
    failures: list[str] = []
    covered: set[str] = set()
    for service, method, path, options, expected in contract_cases(ids):
        status, body = await send(service, method, path, options)
        if status != expected:
            failures.append(
                f"{method} {path}: expected {expected}, got {status}: {body}"
            )
            continue
        try:
            operation = contract.check(method, path, status, body)
        except AssertionError as error:
            failures.append(str(error))
            continue
        if status < 300:
            covered.add(operation.operation_id)
    missing = {o.operation_id for o in contract.operations} - covered
    assert not failures, "\n".join(failures)
    assert not missing, f"operations never exercised successfully: {sorted(missing)}"


@pytest.fixture
def reference_ids() -> dict[str, str]:
    return json.loads(IDS_PATH.read_text("utf-8"))


@pytest.fixture
def external_ids() -> dict[str, str]:
    return json.loads(Path(os.environ.get("CONTRACT_IDS", str(IDS_PATH))).read_text())


async def test_reference_services_honour_the_contract(
    backends: Backends, reference_ids: dict[str, str]
) -> None:
    clients = {"orders": backends.orders, "crm": backends.crm}

    async def send(
        service: str, method: str, path: str, options: dict[str, Any]
    ) -> tuple[int, Any]:
        async with clients[service].request(method, path, **options) as response:
            return response.status, await response.json()

    await run_contract(send, reference_ids)


async def test_external_services_honour_the_contract(
    external_ids: dict[str, str],
) -> None:
    urls = {
        "orders": os.environ.get("CONTRACT_ORDERS_URL", ""),
        "crm": os.environ.get("CONTRACT_CRM_URL", ""),
    }
    if not all(urls.values()):
        pytest.skip("set CONTRACT_ORDERS_URL and CONTRACT_CRM_URL to check an adapter")
    token = os.environ.get("CONTRACT_TOKEN", "")
    async with aiohttp.ClientSession(
        headers={"Authorization": f"Bearer {token}"}
    ) as session:

        async def send(
            service: str, method: str, path: str, options: dict[str, Any]
        ) -> tuple[int, Any]:
            url = urls[service].rstrip("/") + path
            async with session.request(method, url, **options) as response:
                return response.status, await response.json(content_type=None)

        await run_contract(send, external_ids)


def test_contract_checker_catches_a_broken_response() -> None:
    contract = Contract()
    with pytest.raises(AssertionError, match="masked_phone"):
        contract.check(
            "GET",
            "/v1/customers/C100001",
            200,
            {
                "customer_id": "C100001",
                "name": "王芳",
                "masked_phone": "13800138000",
                "city": "上海市",
                "member_since": "2022-12-21",
                "identities": [],
            },
        )
    with pytest.raises(AssertionError, match="does not document"):
        contract.check("GET", "/v1/customers/C100001", 418, {})
