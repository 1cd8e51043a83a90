"""HTTP handlers of the CRM service: parse, call the service, render."""

from __future__ import annotations

from aiohttp import web

from bot.backends.common import validation as v
from bot.backends.common.http import json_response, read_json
from bot.backends.crm import schemas
from bot.backends.crm.membership import MembershipService
from bot.backends.crm.service import CrmService

CRM_SERVICE = web.AppKey("crm_service", CrmService)
MEMBERSHIP_SERVICE = web.AppKey("membership_service", MembershipService)


def _service(request: web.Request) -> CrmService:
    return request.app[CRM_SERVICE]


def _membership(request: web.Request) -> MembershipService:
    return request.app[MEMBERSHIP_SERVICE]


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


async def tiers(request: web.Request) -> web.Response:
    """``GET /v1/tiers``: every tier with its benefits, lowest first."""
    views = await _membership(request).tiers()
    return json_response({"tiers": [schemas.tier_json(view) for view in views]})


async def membership(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/membership``."""
    status = await _membership(request).membership(_customer(request))
    return json_response(schemas.membership_json(status))


async def rewards(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/rewards``: what is on offer today."""
    offer = await _membership(request).rewards_for(_customer(request))
    return json_response(schemas.rewards_json(offer))


async def redeem(request: web.Request) -> web.Response:
    """``POST /v1/customers/{customer_id}/redemptions`` (idempotent per key)."""
    customer_id = _customer(request)
    reward_id, key = schemas.parse_redeem_request(await read_json(request))
    redemption, created = await _membership(request).redeem(customer_id, reward_id, key)
    return json_response(
        schemas.redemption_json(redemption),
        status=201 if created else 200,
        headers={"Idempotent-Replayed": "false" if created else "true"},
    )


async def order_points(request: web.Request) -> web.Response:
    """``GET /v1/customers/{customer_id}/orders/{order_number}/points``."""
    points = await _membership(request).order_points(
        _customer(request), v.order_number(request.match_info["order_number"])
    )
    return json_response(schemas.order_points_json(points))
