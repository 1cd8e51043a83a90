"""Request parsing and JSON rendering of the CRM service (the wire contract)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.backends.common import validation as v
from bot.backends.common.errors import InvalidInput
from bot.backends.common.timeutil import china_date, iso_china, iso_date
from bot.backends.crm.models import Customer, PointsEntry
from bot.backends.crm.service import (
    BindRequest,
    LoyaltySummary,
    Warranty,
    WarrantyRequest,
)

EXTERNAL_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
BIND_FIELDS = frozenset({"channel", "external_id", "phone", "order_number"})
WARRANTY_FIELDS = frozenset(
    {
        "serial_number",
        "sku",
        "product_name",
        "purchase_date",
        "order_number",
        "standard_months",
        "extended_months",
    }
)


def external_id(value: object) -> str:
    """Validate a channel's user id such as a WeChat openid."""
    if not isinstance(value, str) or not EXTERNAL_ID_RE.fullmatch(value):
        raise InvalidInput(
            "external_id must be 1-64 letters, digits, '_' or '-', e.g. demo-openid-001"
        )
    return value


def parse_bind_request(body: object) -> BindRequest:
    """Validate an identity-binding body."""
    data = v.require_object(body, BIND_FIELDS)
    return BindRequest(
        channel=v.channel(data.get("channel")),
        external_id=external_id(data.get("external_id")),
        phone=v.phone(data.get("phone")),
        order_number=v.order_number(data.get("order_number")),
    )


def parse_warranty_request(body: object) -> WarrantyRequest:
    """Validate a warranty registration body."""
    data = v.require_object(body, WARRANTY_FIELDS)
    order_number = data.get("order_number")
    product_name = v.require_str(data, "product_name", max_length=100)
    assert product_name is not None
    return WarrantyRequest(
        serial_number=v.serial_number(data.get("serial_number")),
        sku=v.sku(data.get("sku")),
        product_name=product_name,
        purchase_date=v.parse_date(data.get("purchase_date"), "purchase_date"),
        standard_months=v.require_int(
            data.get("standard_months"), "standard_months", minimum=1, maximum=120
        ),
        extended_months=v.require_int(
            data.get("extended_months", 0), "extended_months", minimum=0, maximum=60
        ),
        order_number=None if order_number is None else v.order_number(order_number),
    )


def customer_json(customer: Customer) -> dict[str, Any]:
    """Render a customer; the phone number is masked."""
    return {
        "customer_id": customer.id,
        "name": customer.name,
        "masked_phone": v.mask_phone(customer.phone),
        "city": customer.city,
        "member_since": iso_date(china_date(customer.created_at)),
        "identities": [
            {
                "channel": identity.channel,
                "external_id": identity.external_id,
                "bound_at": iso_china(identity.bound_at),
            }
            for identity in customer.identities
        ],
    }


def loyalty_json(summary: LoyaltySummary) -> dict[str, Any]:
    """Render a loyalty summary."""
    tier = summary.tier
    return {
        "customer_id": summary.customer_id,
        "points_balance": summary.points.balance,
        "growth_value": tier.growth_value,
        "tier": tier.current.tier.value,
        "tier_name": tier.current.name,
        "next_tier": tier.next.tier.value if tier.next else None,
        "next_tier_name": tier.next.name if tier.next else None,
        "next_tier_threshold": tier.next.threshold if tier.next else None,
        "points_to_next_tier": tier.points_to_next,
        "progress_percent": tier.progress_percent,
        "expiring_within_days": summary.expiring_within_days,
        "expiring_points": summary.points.expiring_points,
        "next_expiry_date": iso_date(summary.points.next_expiry_date),
    }


def ledger_json(customer_id: str, entries: Sequence[PointsEntry]) -> dict[str, Any]:
    """Render ledger entries."""
    return {
        "customer_id": customer_id,
        "entries": [
            {
                "kind": entry.kind,
                "points": entry.points,
                "occurred_at": iso_china(entry.occurred_at),
                "expires_on": iso_date(entry.expires_on),
                "description": entry.description,
                "order_number": entry.order_number,
            }
            for entry in entries
        ],
    }


def warranty_json(warranty: Warranty) -> dict[str, Any]:
    """Render a warranty registration with its dates and status."""
    registration, terms = warranty.registration, warranty.terms
    return {
        "serial_number": registration.serial_number,
        "customer_id": registration.customer_id,
        "sku": registration.sku,
        "product_name": registration.product_name,
        "order_number": registration.order_number,
        "purchase_date": iso_date(registration.purchase_date),
        "standard_months": registration.standard_months,
        "extended_months": registration.extended_months,
        "standard_end_date": iso_date(terms.standard_end),
        "end_date": iso_date(terms.end),
        "status": terms.status.value,
        "days_remaining": terms.days_remaining,
        "in_extended_period": terms.in_extended_period,
        "registered_at": iso_china(registration.registered_at),
    }
