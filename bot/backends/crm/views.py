"""HTTP handlers of the CRM service: parse, call the service, render."""

from __future__ import annotations

from aiohttp import web

from bot.backends.common import validation as v
from bot.backends.common.http import json_response, read_json
from bot.backends.crm import schemas
from bot.backends.crm.service import CrmService

CRM_SERVICE = web.AppKey("crm_service", CrmService)


def _service(request: web.Request) -> CrmService:
    return request.app[CRM_SERVICE]


def _customer(request: web.Request) -> str:
    return v.customer_id(request.match_info["customer_id"])


async def find_by_identity(request: web.Request) -> web.Response:
    """``GET /v1/identities/{channel}/{external_id}``."""
    customer = await _service(request).find_by_identity(
        v.channel(request.match_info["channel"]),
        schemas.external_id(request.match_info["external_id"]),
    )
    return json_response(schemas.customer_json(customer))


async def bind_identity(request: web.Request) -> web.Response:
    """``POST /v1/identities``: bind after checking phone + order number."""
    bind_request = schemas.parse_bind_request(await read_json(request))
    customer, created = await _service(request).bind_identity(bind_request)
    return json_response(
        schemas.customer_json(customer), status=201 if created else 200
    )


async def get_customer(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}``."""
    customer = await _service(request).get_customer(_customer(request))
    return json_response(schemas.customer_json(customer))


async def loyalty_summary(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/loyalty``."""
    within = v.parse_int(
        request.query.get("expiring_within_days"),
        "expiring_within_days",
        default=30,
        minimum=1,
        maximum=366,
    )
    summary = await _service(request).loyalty_summary(_customer(request), within)
    return json_response(schemas.loyalty_json(summary))


async def ledger(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/loyalty/ledger``."""
    customer_id = _customer(request)
    limit = v.parse_int(
        request.query.get("limit"), "limit", default=20, minimum=1, maximum=100
    )
    entries = await _service(request).ledger(customer_id, limit)
    return json_response(schemas.ledger_json(customer_id, entries))


async def register_warranty(request: web.Request) -> web.Response:
    """``POST /v1/customers/{customer_id}/warranties`` (idempotent per customer)."""
    customer_id = _customer(request)
    warranty_request = schemas.parse_warranty_request(await read_json(request))
    warranty, created = await _service(request).register_warranty(
        customer_id, warranty_request
    )
    return json_response(
        schemas.warranty_json(warranty), status=201 if created else 200
    )


async def warranties_of(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/warranties``."""
    customer_id = _customer(request)
    warranties = await _service(request).warranties_of(customer_id)
    return json_response(
        {
            "customer_id": customer_id,
            "warranties": [schemas.warranty_json(w) for w in warranties],
        }
    )


async def warranty_by_serial(request: web.Request) -> web.Response:
    """``GET /v1/warranties/{serial_number}``."""
    warranty = await _service(request).warranty_by_serial(
        v.serial_number(request.match_info["serial_number"])
    )
    return json_response(schemas.warranty_json(warranty))
