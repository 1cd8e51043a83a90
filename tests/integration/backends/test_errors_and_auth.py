"""Auth and the one error shape, on both services."""

from __future__ import annotations

import aiohttp
import pytest

from tests.support.backends import Backends


def error_of(body: dict[str, object]) -> dict[str, object]:
    assert set(body) == {"error"}
    error = body["error"]
    assert isinstance(error, dict)
    assert set(error) == {"code", "message"}
    return error


@pytest.mark.parametrize("service", ["orders", "crm"])
@pytest.mark.parametrize(
    "authorization", [None, "Bearer wrong-token", "Basic dGVzdA==", "Bearer "]
)
async def test_requests_without_the_right_token_get_401(
    backends: Backends, service: str, authorization: str | None
) -> None:
    client = getattr(backends, service)
    url = client.make_url("/v1/customers/C100001")
    headers = {} if authorization is None else {"Authorization": authorization}
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers=headers) as response:
            assert response.status == 401
            assert error_of(await response.json())["code"] == "unauthorized"


async def test_health_needs_no_token(backends: Backends) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(backends.orders.make_url("/health")) as response:
            assert response.status == 200


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/v1/customers/C100001/orders/XK123", "invalid_input"),
        ("/v1/customers/bob/orders", "invalid_input"),
        ("/v1/customers/C100001/orders?limit=0", "invalid_input"),
        ("/v1/customers/C100001/orders?status=lost", "invalid_input"),
        ("/v1/customers/C100001/orders/XK209901010001", "order_not_found"),
        ("/v1/customers/C100001/returns/RMA209901010001", "return_not_found"),
        ("/v1/nothing/here", "not_found"),
    ],
)
async def test_orders_errors_use_one_shape(
    backends: Backends, path: str, code: str
) -> None:
    response = await backends.orders.get(path)
    assert response.status in {400, 404}
    error = error_of(await response.json())
    assert error["code"] == code
    assert "Traceback" not in str(error["message"])


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("not json", "not valid JSON"),
        ([], "JSON object"),
        ({"items": [], "reason": "no_reason"}, "order_number"),
        ({"order_number": "XK202411110004", "items": []}, "items"),
        (
            {
                "order_number": "XK202411110004",
                "items": [{"sku": "SK-SUN-50", "quantity": "2"}],
                "reason": "no_reason",
            },
            "items[0].quantity",
        ),
        (
            {
                "order_number": "XK202411110004",
                "items": [{"sku": "SK-SUN-50", "quantity": 1}],
                "reason": "changed_my_mind",
            },
            "reason",
        ),
    ],
)
async def test_bad_create_return_bodies_get_400_saying_what_is_wrong(
    backends: Backends, body: object, fragment: str
) -> None:
    kwargs = {"data": body} if isinstance(body, str) else {"json": body}
    response = await backends.orders.post(
        "/v1/customers/C100001/returns",
        headers={"Idempotency-Key": "bad-body-0001"},
        **kwargs,
    )
    assert response.status == 400
    assert fragment in str(error_of(await response.json())["message"])


async def test_create_return_needs_an_idempotency_key(backends: Backends) -> None:
    response = await backends.orders.post(
        "/v1/customers/C100001/returns",
        json={
            "order_number": "XK202411110004",
            "items": [{"sku": "SK-SUN-50", "quantity": 1}],
            "reason": "no_reason",
        },
    )
    assert response.status == 400
    assert "Idempotency-Key" in str(error_of(await response.json())["message"])


async def test_wrong_method_is_405_in_the_error_shape(backends: Backends) -> None:
    response = await backends.crm.delete("/v1/identities")
    assert response.status == 405
    assert response.headers["Allow"] == "POST"
    assert error_of(await response.json())["code"] == "method_not_allowed"


async def test_warranty_with_future_purchase_date_is_refused(
    backends: Backends,
) -> None:
    response = await backends.crm.post(
        "/v1/customers/C100003/warranties",
        json={
            "serial_number": "SN2C6V8N4X1L",
            "sku": "PH-X1P-512-WHT",
            "product_name": "手机",
            "purchase_date": "2030-01-01",
            "standard_months": 12,
        },
    )
    assert response.status == 422
    assert error_of(await response.json())["code"] == "purchase_date_in_future"
