"""Request parsing and JSON rendering of the CRM service (the wire contract)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.backends.common import validation as v
from bot.backends.common.errors import InvalidInput
from bot.backends.common.timeutil import china_date, iso_china, iso_date
from bot.backends.crm.membership import (
    MembershipStatus,
    OrderPoints,
    RewardOffer,
    TierView,
)
from bot.backends.crm.models import PointsEntry, Redemption
from bot.backends.crm.rules import BenefitLine
from bot.backends.crm.service import (
    BindRequest,
    CustomerRecord,
    LoyaltySummary,
    Warranty,
    WarrantyRequest,
)

EXTERNAL_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
REWARD_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
REDEEM_FIELDS = frozenset({"reward_id", "idempotency_key"})
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


def reward_id(value: object) -> str:
    """Validate a reward id such as ``cpn-20`` (lower-case, as the contract has it)."""
    if not isinstance(value, str) or not REWARD_ID_RE.fullmatch(value):
        raise InvalidInput(
            "reward_id must be 2-40 lower-case letters, digits or '-', e.g. cpn-20"
        )
    return value


def parse_redeem_request(body: object) -> tuple[str, str]:
    """Validate a redemption body; return the reward id and idempotency key."""
    data = v.require_object(body, REDEEM_FIELDS)
    key = data.get("idempotency_key")
    if not isinstance(key, str) or not v.IDEMPOTENCY_KEY_RE.fullmatch(key):
        raise InvalidInput(
            "field 'idempotency_key' is required: 8-100 characters of "
            "letters, digits, '_', '.', ':' or '-'"
        )
    return reward_id(data.get("reward_id")), key


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


def customer_json(record: CustomerRecord) -> dict[str, Any]:
    """Render a customer with their identities; the phone number is masked."""
    customer = record.customer
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
            for identity in record.identities
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


def ledger_entry_json(entry: PointsEntry) -> dict[str, Any]:
    """Render one ledger entry."""
    return {
        "kind": entry.kind,
        "points": entry.points,
        "occurred_at": iso_china(entry.occurred_at),
        "expires_on": iso_date(entry.expires_on),
        "description": entry.description,
        "order_number": entry.order_number,
    }


def ledger_json(customer_id: str, entries: Sequence[PointsEntry]) -> dict[str, Any]:
    """Render ledger entries."""
    return {
        "customer_id": customer_id,
        "entries": [ledger_entry_json(entry) for entry in entries],
    }


def benefit_json(benefit: BenefitLine) -> dict[str, Any]:
    """Render a tier benefit."""
    return {"code": benefit.code, "title": benefit.title, "detail": benefit.detail}


def tier_json(view: TierView) -> dict[str, Any]:
    """Render a tier with its benefits."""
    return {
        "tier": view.level.tier.value,
        "name": view.level.name,
        "threshold": view.level.threshold,
        "benefits": [benefit_json(benefit) for benefit in view.benefits],
    }


def membership_json(status: MembershipStatus) -> dict[str, Any]:
    """Render a customer's membership: tier, next tier and what it adds."""
    return {
        "customer_id": status.customer_id,
        "growth_value": status.progress.growth_value,
        "points_to_next": status.progress.points_to_next,
        "current": tier_json(status.current),
        "next": tier_json(status.next) if status.next else None,
        "next_adds": [benefit_json(benefit) for benefit in status.next_adds],
    }


def rewards_json(offer: RewardOffer) -> dict[str, Any]:
    """Render the rewards on offer; ``affordable`` compares points only."""
    return {
        "balance": offer.balance,
        "rewards": [
            {
                "reward_id": reward.id,
                "name": reward.name,
                "kind": reward.kind,
                "points": reward.points,
                "stock": reward.stock,
                "valid_until": iso_date(reward.valid_until),
                "affordable": offer.balance >= reward.points,
            }
            for reward in offer.rewards
        ],
    }


def redemption_json(redemption: Redemption) -> dict[str, Any]:
    """Render a redemption (the same on a replay)."""
    return {
        "redemption_id": redemption.id,
        "reward_id": redemption.reward_id,
        "reward_name": redemption.reward_name,
        "points": redemption.points,
        "balance_after": redemption.balance_after,
        "coupon_code": redemption.coupon_code,
        "expires_on": iso_date(redemption.expires_on),
        "redeemed_at": iso_china(redemption.redeemed_at),
    }


def order_points_json(points: OrderPoints) -> dict[str, Any]:
    """Render the points of one order."""
    return {
        "order_number": points.order_number,
        "earned": points.totals.earned,
        "spent": points.totals.spent,
        "pending": points.pending,
        "entries": [ledger_entry_json(entry) for entry in points.entries],
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
