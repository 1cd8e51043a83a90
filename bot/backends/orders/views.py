"""HTTP handlers of the order service: parse, call the service, render."""

from __future__ import annotations

from aiohttp import web

from bot.backends.common import validation as v
from bot.backends.common.http import json_response, read_json
from bot.backends.orders import schemas
from bot.backends.orders.catalogue import CatalogueService
from bot.backends.orders.service import OrderService

ORDER_SERVICE = web.AppKey("order_service", OrderService)
CATALOGUE_SERVICE = web.AppKey("catalogue_service", CatalogueService)


def _service(request: web.Request) -> OrderService:
    return request.app[ORDER_SERVICE]


def _catalogue(request: web.Request) -> CatalogueService:
    return request.app[CATALOGUE_SERVICE]


def _customer(request: web.Request) -> str:
    return v.customer_id(request.match_info["customer_id"])


def _limit(request: web.Request) -> int:
    return v.parse_int(
        request.query.get("limit"), "limit", default=10, minimum=1, maximum=50
    )


async def list_orders(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/orders``."""
    orders = await _service(request).list_orders(
        _customer(request),
        _limit(request),
        schemas.parse_status(request.query.get("status")),
    )
    return json_response({"orders": [schemas.order_json(o) for o in orders]})


async def get_order(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/orders/{order_number}``."""
    detail = await _service(request).get_order(
        _customer(request), v.order_number(request.match_info["order_number"])
    )
    return json_response(schemas.order_detail_json(detail))


async def get_shipments(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/orders/{order_number}/shipments``."""
    detail = await _service(request).get_order(
        _customer(request), v.order_number(request.match_info["order_number"])
    )
    return json_response(schemas.shipments_json(detail.order))


async def check_return_eligibility(request: web.Request) -> web.Response:
    """``GET .../orders/{order_number}/items/{sku}/return-eligibility``."""
    order_number = v.order_number(request.match_info["order_number"])
    result = await _service(request).check_eligibility(
        _customer(request),
        order_number,
        v.sku(request.match_info["sku"]),
        schemas.parse_reason(request.query.get("reason", "no_reason")),
        v.parse_int(
            request.query.get("quantity"), "quantity", default=1, minimum=1, maximum=99
        ),
    )
    return json_response(schemas.eligibility_json(order_number, result))


async def record_urge(request: web.Request) -> web.Response:
    """``POST .../orders/{order_number}/urges``: the shopper urges shipping (催发货)."""
    customer = _customer(request)
    order_number = v.order_number(request.match_info["order_number"])
    channel = schemas.parse_urge_request(await read_json(request))
    summary = await _service(request).record_urge(customer, order_number, channel)
    return json_response(schemas.urge_summary_json(summary), status=201)


async def list_urges(request: web.Request) -> web.Response:
    """``GET .../orders/{order_number}/urges``: an order's urges, newest first."""
    history = await _service(request).list_urges(
        _customer(request),
        v.order_number(request.match_info["order_number"]),
        _limit(request),
    )
    return json_response(schemas.urge_history_json(history))


async def find_serial(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/serial-numbers/{serial_number}``."""
    serial = v.serial_number(request.match_info["serial_number"])
    item = await _service(request).find_serial(_customer(request), serial)
    return json_response(schemas.serial_json(item, serial))


async def create_return(request: web.Request) -> web.Response:
    """``POST /v1/customers/{customer_id}/returns`` (needs ``Idempotency-Key``)."""
    customer = _customer(request)
    key = v.idempotency_key(request.headers.get("Idempotency-Key"))
    return_request = schemas.parse_return_request(await read_json(request))
    return_, created = await _service(request).create_return(
        customer, return_request, key
    )
    return json_response(
        schemas.return_json(return_),
        status=201 if created else 200,
        headers={"Idempotent-Replayed": "false" if created else "true"},
    )


async def list_returns(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/returns``."""
    returns = await _service(request).list_returns(_customer(request), _limit(request))
    return json_response({"returns": [schemas.return_json(r) for r in returns]})


async def get_return(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/returns/{rma_number}``."""
    return_ = await _service(request).get_return(
        _customer(request), v.rma_number(request.match_info["rma_number"])
    )
    return json_response(schemas.return_json(return_))


async def search_products(request: web.Request) -> web.Response:
    """``GET /v1/products``: products matching ``q`` (all by name without it)."""
    products = await _catalogue(request).search(
        schemas.parse_product_query(request.query.get("q")),
        v.parse_int(
            request.query.get("limit"), "limit", default=5, minimum=1, maximum=20
        ),
    )
    return json_response(
        {"products": [schemas.product_summary_json(p) for p in products]}
    )


async def get_product(request: web.Request) -> web.Response:
    """``GET /v1/products/{product_id}``: a product with SKUs, specs and FAQs."""
    detail = await _catalogue(request).get_product(
        v.product_id(request.match_info["product_id"])
    )
    return json_response(schemas.product_json(detail))
