"""Request parsing and JSON rendering of the order service (the wire contract)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.backends.common import validation as v
from bot.backends.common.errors import InvalidInput
from bot.backends.common.timeutil import china_date, iso_china, iso_date
from bot.backends.orders.catalogue import ProductDetail
from bot.backends.orders.catalogue_rules import from_price
from bot.backends.orders.models import (
    Order,
    OrderItem,
    Product,
    Return,
    Shipment,
)
from bot.backends.orders.rules import (
    CARRIER_NAMES,
    Eligibility,
    OrderStatus,
    ReturnReason,
)
from bot.backends.orders.service import (
    OrderDetail,
    ReturnRequest,
    UrgeHistory,
    UrgeSummary,
)
from bot.platform.media_store import REF_PATTERN

ORDER_STATUSES = tuple(status.value for status in OrderStatus)
RETURN_REASONS = tuple(reason.value for reason in ReturnReason)
MAX_DESCRIPTION = 500
RETURN_FIELDS = frozenset(
    {"order_number", "items", "reason", "description", "evidence"}
)
MAX_EVIDENCE = 5
RETURN_LINE_FIELDS = frozenset({"sku", "quantity"})
URGE_FIELDS = frozenset({"channel"})
MAX_PRODUCT_QUERY = 100


def parse_status(raw: str | None) -> OrderStatus | None:
    """Parse the optional ``status`` filter of the order list."""
    if raw is None:
        return None
    return OrderStatus(v.choice(raw, "status", ORDER_STATUSES))


def parse_reason(raw: object) -> ReturnReason:
    """Parse a return reason code."""
    return ReturnReason(v.choice(raw, "reason", RETURN_REASONS))


def parse_return_request(body: object) -> ReturnRequest:
    """Validate a create-return body.

    Args:
        body: The decoded JSON body.

    Returns:
        The request.

    Raises:
        InvalidInput: Saying which field is wrong.
    """
    data = v.require_object(body, RETURN_FIELDS)
    order_number = v.order_number(data.get("order_number"))
    raw_items = data.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise InvalidInput("field 'items' must be a non-empty list of {sku, quantity}")
    if len(raw_items) > 20:
        raise InvalidInput("field 'items' has more than 20 lines")
    items: dict[str, int] = {}
    for index, raw in enumerate(raw_items):
        line = v.require_object(raw, RETURN_LINE_FIELDS, f"items[{index}]")
        sku = v.sku(line.get("sku"))
        quantity = v.require_int(
            line.get("quantity"), f"items[{index}].quantity", minimum=1, maximum=99
        )
        # A SKU listed on two lines is one line of both quantities (the schema
        # cannot forbid it); the eligibility rules then judge the total.
        items[sku] = items.get(sku, 0) + quantity
    description = v.optional_text(data, "description", max_length=MAX_DESCRIPTION)
    return ReturnRequest(
        order_number=order_number,
        items=items,
        reason=parse_reason(data.get("reason")),
        description=description,
        evidence=parse_evidence(data.get("evidence")),
    )


def parse_evidence(raw: object) -> tuple[str, ...]:
    """Validate a return's evidence: up to five photo references, each once.

    Raises:
        InvalidInput: Not a list, too long, or an item that is not a
            ``media:<sha256>.<jpg|png|gif|webp>`` reference.
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidInput("field 'evidence' must be a list of media references")
    if len(raw) > MAX_EVIDENCE:
        raise InvalidInput(f"field 'evidence' has more than {MAX_EVIDENCE} items")
    refs: list[str] = []
    for index, item in enumerate(raw):
        if not isinstance(item, str) or REF_PATTERN.fullmatch(item) is None:
            raise InvalidInput(
                f"field 'evidence[{index}]' must be a media reference like "
                "'media:<64 hex digits>.jpg'"
            )
        if item not in refs:
            refs.append(item)
    return tuple(refs)


def parse_urge_request(body: object) -> str:
    """Validate a record-urge body and return the channel the shopper used.

    Raises:
        InvalidInput: The body is not an object or ``channel`` is malformed.
    """
    return v.channel(v.require_object(body, URGE_FIELDS).get("channel"))


def parse_product_query(raw: str | None) -> str | None:
    """Parse the optional ``q`` of a product search: 1-100 characters, not blank.

    A ``q`` present but empty or blank is refused (the contract's pattern), not
    taken for "no query".
    """
    if raw is None:
        return None
    if not raw.strip(v.BLANK):
        raise InvalidInput("parameter 'q' must not be empty or blank")
    if len(raw) > MAX_PRODUCT_QUERY:
        raise InvalidInput(
            f"parameter 'q' is longer than {MAX_PRODUCT_QUERY} characters"
        )
    return raw


def item_json(
    item: OrderItem, returned: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """Render an order line."""
    rendered: dict[str, Any] = {
        "sku": item.sku,
        "product_name": item.product_name,
        "category": item.category,
        "unit_price_fen": item.unit_price_fen,
        "quantity": item.quantity,
        "warranty_months": item.warranty_months,
        "serial_numbers": [serial.serial_number for serial in item.serials],
    }
    if returned is not None:
        rendered["returned_quantity"] = returned.get(item.sku, 0)
    return rendered


def shipment_json(shipment: Shipment, *, with_events: bool) -> dict[str, Any]:
    """Render a shipment, with its tracking events newest first if asked."""
    rendered: dict[str, Any] = {
        "carrier": shipment.carrier,
        "carrier_name": CARRIER_NAMES.get(shipment.carrier, shipment.carrier),
        "tracking_number": shipment.tracking_number,
        "status": shipment.status,
        "shipped_at": iso_china(shipment.shipped_at),
        "estimated_delivery": iso_date(shipment.estimated_delivery),
        "delivered_at": iso_china(shipment.delivered_at),
    }
    if with_events:
        rendered["events"] = [
            {
                "time": iso_china(event.occurred_at),
                "location": event.location,
                "status_text": event.status_text,
            }
            for event in reversed(shipment.events)
        ]
    return rendered


def order_json(
    order: Order, returned: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """Render an order with its lines and shipments (without tracking events)."""
    return {
        "order_number": order.order_number,
        "customer_id": order.customer_id,
        "status": order.status,
        "total_fen": order.total_fen,
        "receiver_name": order.receiver_name,
        "receiver_city": order.receiver_city,
        "created_at": iso_china(order.created_at),
        "paid_at": iso_china(order.paid_at),
        "shipped_at": iso_china(order.shipped_at),
        "delivered_at": iso_china(order.delivered_at),
        "cancelled_at": iso_china(order.cancelled_at),
        "items": [item_json(item, returned) for item in order.items],
        "shipments": [
            shipment_json(shipment, with_events=False) for shipment in order.shipments
        ],
    }


def order_detail_json(detail: OrderDetail) -> dict[str, Any]:
    """Render an order with returned quantities per line."""
    return order_json(detail.order, detail.returned)


def shipments_json(order: Order) -> dict[str, Any]:
    """Render an order's shipments with their tracking timelines."""
    return {
        "order_number": order.order_number,
        "order_status": order.status,
        "shipments": [
            shipment_json(shipment, with_events=True) for shipment in order.shipments
        ],
    }


def serial_json(item: OrderItem, serial_number: str) -> dict[str, Any]:
    """Render where a serial number was sold (for warranty registration)."""
    order = item.order
    return {
        "serial_number": serial_number,
        "order_number": order.order_number,
        "sku": item.sku,
        "product_name": item.product_name,
        "category": item.category,
        "warranty_months": item.warranty_months,
        "purchase_date": iso_date(china_date(order.paid_at)) if order.paid_at else None,
        "delivered_at": iso_china(order.delivered_at),
    }


def eligibility_json(order_number: str, result: Eligibility) -> dict[str, Any]:
    """Render the result of a return eligibility check."""
    return {
        "order_number": order_number,
        "sku": result.sku,
        "reason": result.reason.value,
        "eligible": result.eligible,
        "code": result.code.value,
        "message": result.message,
        "requested_quantity": result.requested_quantity,
        "returnable_quantity": result.returnable_quantity,
        "deadline": iso_date(result.deadline),
        "refund_fen": result.refund_fen,
    }


def return_json(return_: Return) -> dict[str, Any]:
    """Render a return."""
    return {
        "rma_number": return_.rma_number,
        "order_number": return_.order.order_number,
        "customer_id": return_.customer_id,
        "status": return_.status,
        "reason": return_.reason,
        "description": return_.description,
        "evidence": list(return_.evidence or []),
        "refund_fen": return_.refund_fen,
        "items": [
            {"sku": line.sku, "quantity": line.quantity, "refund_fen": line.refund_fen}
            for line in return_.items
        ],
        "return_address": return_.return_address,
        "instructions": return_.instructions,
        "created_at": iso_china(return_.created_at),
        "updated_at": iso_china(return_.updated_at),
    }


def urge_summary_json(summary: UrgeSummary) -> dict[str, Any]:
    """Render how often an order was urged to ship and when last."""
    return {
        "order_number": summary.order_number,
        "urge_count": summary.urge_count,
        "latest_urge_at": iso_china(summary.latest_urge_at),
    }


def urge_history_json(history: UrgeHistory) -> dict[str, Any]:
    """Render an order's urge summary with its most recent urges, newest first."""
    return {
        **urge_summary_json(history.summary),
        "urges": [
            {"channel": urge.channel, "created_at": iso_china(urge.created_at)}
            for urge in history.urges
        ],
    }


def product_summary_json(product: Product) -> dict[str, Any]:
    """Render a product as search lists it; its price is its cheapest SKU's."""
    return {
        "product_id": product.product_id,
        "name": product.name,
        "category": product.category,
        "price_fen": from_price(sku.price_fen for sku in product.skus),
    }


def product_json(detail: ProductDetail) -> dict[str, Any]:
    """Render a product with aliases, SKUs, specs, FAQs and today's promotion."""
    product, promotion = detail.product, detail.promotion
    return {
        **product_summary_json(product),
        "aliases": [alias.alias for alias in product.aliases],
        "promotion": None
        if promotion is None
        else {
            "label": promotion.label,
            "price_fen": promotion.price_fen,
            "ends_on": iso_date(promotion.ends_on),
        },
        "skus": [
            {
                "sku": sku.sku,
                "variant": sku.variant,
                "price_fen": sku.price_fen,
                "stock": sku.stock,
            }
            for sku in product.skus
        ],
        "specs": [
            {"key": spec.key, "name": spec.name, "value": spec.value}
            for spec in product.specs
        ],
        "faqs": [
            {"question": faq.question, "answer": faq.answer} for faq in product.faqs
        ],
    }
