"""Request parsing agrees with openapi.yaml (cases the contract fuzzing found)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.backends.common import validation as v
from bot.backends.common.errors import InvalidInput
from bot.backends.common.http import base_app
from bot.backends.crm.schemas import parse_warranty_request
from bot.backends.orders.schemas import parse_return_request, parse_status
from tests.support.contract import OPENAPI_PATH

WARRANTY: dict[str, Any] = {
    "serial_number": "SN2C6V8N4X1L",
    "sku": "PH-X1P-512-WHT",
    "product_name": "手机",
    "purchase_date": "2024-11-01",
    "standard_months": 12,
}


def contract_schema(name: str) -> dict[str, Any]:
    document = yaml.safe_load(OPENAPI_PATH.read_text("utf-8"))
    schema: dict[str, Any] = document["components"]["schemas"][name]
    return schema


def test_integer_without_fraction_counts_as_integer() -> None:
    assert v.require_int(12.0, "standard_months", minimum=1, maximum=120) == 12
    with pytest.raises(InvalidInput, match="must be an integer"):
        v.require_int(12.5, "standard_months", minimum=1, maximum=120)


@pytest.mark.parametrize("raw", ["", " 5", "1_0", "٥", "+5", "5.0"])
def test_query_integer_is_plain_digits(raw: str) -> None:
    with pytest.raises(InvalidInput, match="must be an integer"):
        v.parse_int(raw, "limit", default=10, minimum=1, maximum=50)


def test_absent_query_integer_is_the_default() -> None:
    assert v.parse_int(None, "limit", default=10, minimum=1, maximum=50) == 10
    assert v.parse_int("50", "limit", default=10, minimum=1, maximum=50) == 50


def test_empty_status_filter_is_refused_not_ignored() -> None:
    assert parse_status(None) is None
    with pytest.raises(InvalidInput):
        parse_status("")


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (v.order_number, "XK２０２４１１１１０００１"),  # full-width digits
        (v.order_number, "XK٢٠٢٤١١١١٠٠٠١"),  # Arabic-Indic digits
        (v.serial_number, "ſn8h2k4m9q1z"),  # long s, which upper() makes "S"
        (v.customer_id, "C１00001"),
    ],
)
def test_identifiers_take_ascii_only(parse: Any, raw: str) -> None:
    with pytest.raises(InvalidInput):
        parse(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("0086 138 0013 8000", "13800138000"),
        ("+8613800138000", "13800138000"),
    ],
)
def test_phone_forms_the_contract_allows(raw: str, expected: str) -> None:
    assert re.search(contract_schema("Phone")["pattern"], raw)
    assert v.phone(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "138--0013-8000", "\t13800138000", "13800138000 ", "86 13800138000"]
)
def test_phone_forms_the_contract_refuses(raw: str) -> None:
    assert not re.search(contract_schema("Phone")["pattern"], raw)
    with pytest.raises(InvalidInput):
        v.phone(raw)


def test_unknown_body_field_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput, match=r"unknown field.*descripton"):
        v.require_object({"channel": "web", "descripton": "x"}, {"channel"})


@pytest.mark.parametrize("blank", [None, "", "   ", "\n"])
def test_blank_return_description_means_none(blank: str | None) -> None:
    request = parse_return_request(
        {
            "order_number": "XK202411110004",
            "items": [{"sku": "SK-SUN-50", "quantity": 1}],
            "reason": "no_reason",
            "description": blank,
        }
    )
    assert request.description is None


def test_sku_on_two_lines_is_one_line_of_both_quantities() -> None:
    request = parse_return_request(
        {
            "order_number": "xk202411110004",
            "items": [
                {"sku": "SK-SUN-50", "quantity": 1},
                {"sku": "sk-sun-50", "quantity": 2},
                {"sku": "EB-AIR2-WHT", "quantity": 1},
            ],
            "reason": "quality_issue",
        }
    )
    assert request.items == {"SK-SUN-50": 3, "EB-AIR2-WHT": 1}


def test_unknown_field_in_a_return_line_is_refused() -> None:
    with pytest.raises(InvalidInput, match=r"items\[0\] has unknown field"):
        parse_return_request(
            {
                "order_number": "XK202411110004",
                "items": [{"sku": "SK-SUN-50", "quantity": 1, "price": 1}],
                "reason": "no_reason",
            }
        )


@pytest.mark.parametrize("name", ["", " \t", "\n\r\f\v"])
def test_blank_product_name_is_refused_as_the_contract_says(name: str) -> None:
    pattern = contract_schema("RegisterWarranty")["properties"]["product_name"]
    assert not (
        len(name) >= pattern["minLength"] and re.search(pattern["pattern"], name)
    )
    with pytest.raises(InvalidInput, match="product_name"):
        parse_warranty_request({**WARRANTY, "product_name": name})


def test_product_name_is_stored_without_surrounding_blanks() -> None:
    request = parse_warranty_request({**WARRANTY, "product_name": " 手机\t"})
    assert request.product_name == "手机"


def test_warranty_order_number_may_be_null() -> None:
    assert (
        parse_warranty_request({**WARRANTY, "order_number": None}).order_number is None
    )


async def test_undeclared_method_is_405_with_allow_in_the_error_shape() -> None:
    app = base_app("secret-token")

    async def thing(_request: web.Request) -> web.Response:
        return web.json_response({})

    app.router.add_get("/thing", thing)
    app.router.add_post("/thing", thing)
    async with TestClient(TestServer(app)) as client:
        response = await client.request(
            "TRACE", "/thing", headers={"Authorization": "Bearer secret-token"}
        )
        body = await response.json()
    assert response.status == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"
    assert body["error"]["code"] == "method_not_allowed"
    assert "TRACE" in body["error"]["message"]
