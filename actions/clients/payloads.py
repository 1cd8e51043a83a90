"""Wire formats of the order and CRM services (see bot/backends/openapi.yaml)."""

from __future__ import annotations

from typing import Literal, TypedDict

OrderStatus = Literal["unpaid", "paid", "shipped", "delivered", "returned", "cancelled"]
ReturnReason = Literal["no_reason", "quality_issue", "wrong_item"]
ReturnStatus = Literal["requested", "approved", "received", "refunded", "rejected"]
EligibilityCode = Literal[
    "eligible",
    "order_not_delivered",
    "category_excluded",
    "return_window_expired",
    "already_returned",
    "quantity_exceeded",
]
Tier = Literal["regular", "silver", "gold", "diamond"]


class OrderItem(TypedDict):
    """An order line; money in fen."""

    sku: str
    product_name: str
    category: str
    unit_price_fen: int
    quantity: int
    warranty_months: int
    serial_numbers: list[str]


class OrderItemDetail(OrderItem):
    """An order line in an order detail, with units already returned."""

    returned_quantity: int


class Shipment(TypedDict):
    """A parcel; timestamps ISO 8601 +08:00, dates YYYY-MM-DD."""

    carrier: str
    carrier_name: str
    tracking_number: str
    status: str
    shipped_at: str
    estimated_delivery: str | None
    delivered_at: str | None


class TrackingEvent(TypedDict):
    """One tracking event; ``status_text`` is the carrier's Chinese text."""

    time: str
    location: str
    status_text: str


class ShipmentWithEvents(Shipment):
    """A parcel with its tracking timeline, newest event first."""

    events: list[TrackingEvent]


class Order(TypedDict):
    """An order as listed."""

    order_number: str
    customer_id: str
    status: OrderStatus
    total_fen: int
    receiver_name: str
    receiver_city: str
    created_at: str
    paid_at: str | None
    shipped_at: str | None
    delivered_at: str | None
    cancelled_at: str | None
    items: list[OrderItem]
    shipments: list[Shipment]


class OrderDetail(Order):
    """An order with returned quantities per line (``items`` are OrderItemDetail)."""


class Shipments(TypedDict):
    """An order's shipments with tracking."""

    order_number: str
    order_status: OrderStatus
    shipments: list[ShipmentWithEvents]


class Eligibility(TypedDict):
    """Whether units of an order line may be returned."""

    order_number: str
    sku: str
    reason: ReturnReason
    eligible: bool
    code: EligibilityCode
    message: str
    requested_quantity: int
    returnable_quantity: int
    deadline: str | None
    refund_fen: int


class ReturnLine(TypedDict):
    """Units of one SKU to return."""

    sku: str
    quantity: int


class ReturnItem(ReturnLine):
    """A returned line with its refund."""

    refund_fen: int


class Return(TypedDict):
    """A return (RMA)."""

    rma_number: str
    order_number: str
    customer_id: str
    status: ReturnStatus
    reason: ReturnReason
    description: str | None
    evidence: list[str]
    refund_fen: int
    items: list[ReturnItem]
    return_address: str
    instructions: str
    created_at: str
    updated_at: str


class UrgeSummary(TypedDict):
    """How often a shopper urged a paid order to ship (催发货), and when last."""

    order_number: str
    urge_count: int
    latest_urge_at: str


class Urge(TypedDict):
    """One shipping urge: where the shopper asked and when."""

    channel: str
    created_at: str


class UrgeHistory(TypedDict):
    """An order's urges, newest first; ``latest_urge_at`` is None before any."""

    order_number: str
    urge_count: int
    latest_urge_at: str | None
    urges: list[Urge]


class SerialSale(TypedDict):
    """Where a serial number was sold."""

    serial_number: str
    order_number: str
    sku: str
    product_name: str
    category: str
    warranty_months: int
    purchase_date: str | None
    delivered_at: str | None


class ProductSummary(TypedDict):
    """A catalogue product as search lists it; ``price_fen`` is its cheapest SKU's."""

    product_id: str
    name: str
    category: str
    price_fen: int


class Promotion(TypedDict):
    """The promotion running today: its price and last day (YYYY-MM-DD, included)."""

    label: str
    price_fen: int
    ends_on: str


class Sku(TypedDict):
    """One variant of a product; ``variant`` is Chinese (``白色``, ``黑色 / L码``)."""

    sku: str
    variant: str
    price_fen: int
    stock: int


class Spec(TypedDict):
    """A key spec; ``key`` is one the bot asks about (``waterproof``, ``battery``)."""

    key: str
    name: str
    value: str


class Faq(TypedDict):
    """A question shoppers often ask about a product, with the shop's answer."""

    question: str
    answer: str


class Product(ProductSummary):
    """A catalogue product with everything a pre-sales answer needs."""

    aliases: list[str]
    promotion: Promotion | None
    skus: list[Sku]
    specs: list[Spec]
    faqs: list[Faq]


class Identity(TypedDict):
    """A channel identity bound to a customer."""

    channel: str
    external_id: str
    bound_at: str


class Customer(TypedDict):
    """A customer; the phone number is masked (138****8000)."""

    customer_id: str
    name: str
    masked_phone: str
    city: str
    member_since: str
    identities: list[Identity]


class LoyaltySummary(TypedDict):
    """Points and tier of a customer."""

    customer_id: str
    points_balance: int
    growth_value: int
    tier: Tier
    tier_name: str
    next_tier: Tier | None
    next_tier_name: str | None
    next_tier_threshold: int | None
    points_to_next_tier: int
    progress_percent: int
    expiring_within_days: int
    expiring_points: int
    next_expiry_date: str | None


class LedgerEntry(TypedDict):
    """A points ledger entry (points negative for spend and expire)."""

    kind: Literal["earn", "spend", "expire"]
    points: int
    occurred_at: str
    expires_on: str | None
    description: str
    order_number: str | None


class Warranty(TypedDict):
    """A warranty registration with its dates and status."""

    serial_number: str
    customer_id: str
    sku: str
    product_name: str
    order_number: str | None
    purchase_date: str
    standard_months: int
    extended_months: int
    standard_end_date: str
    end_date: str
    status: Literal["active", "expired"]
    days_remaining: int
    in_extended_period: bool
    registered_at: str


class Benefit(TypedDict):
    """One benefit of a tier; ``code`` is stable across tiers."""

    code: str
    title: str
    detail: str


class TierInfo(TypedDict):
    """A membership tier, the growth value it starts at, and its benefits."""

    tier: Tier
    name: str
    threshold: int
    benefits: list[Benefit]


class Membership(TypedDict):
    """A customer's tier, the next one, and what the next one adds."""

    customer_id: str
    growth_value: int
    points_to_next: int
    current: TierInfo
    next: TierInfo | None
    next_adds: list[Benefit]


class Reward(TypedDict):
    """A reward on offer; ``stock`` None is unlimited, 0 is out of stock."""

    reward_id: str
    name: str
    kind: Literal["coupon", "gift"]
    points: int
    stock: int | None
    valid_until: str | None
    affordable: bool


class RewardList(TypedDict):
    """The rewards on offer today, cheapest first, and the points balance."""

    balance: int
    rewards: list[Reward]


class Redemption(TypedDict):
    """Points spent on a reward: the code to use and its last day."""

    redemption_id: int
    reward_id: str
    reward_name: str
    points: int
    balance_after: int
    coupon_code: str
    expires_on: str
    redeemed_at: str


class OrderPoints(TypedDict):
    """Points an order earned, used, and has still to earn (``pending``)."""

    order_number: str
    earned: int
    spent: int
    pending: int
    entries: list[LedgerEntry]
