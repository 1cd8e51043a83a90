"""Rules of the order service (returns, shipping urges): pure, no database or HTTP."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from bot.backends.common.errors import RuleViolation


class OrderStatus(str, Enum):
    """Lifecycle of an order."""

    UNPAID = "unpaid"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    RETURNED = "returned"
    CANCELLED = "cancelled"


class ReturnReason(str, Enum):
    """Why a shopper returns goods; decides the window and exclusions."""

    NO_REASON = "no_reason"
    QUALITY_ISSUE = "quality_issue"
    WRONG_ITEM = "wrong_item"


class ReturnStatus(str, Enum):
    """Lifecycle of a return: requested → approved → received → refunded/rejected."""

    REQUESTED = "requested"
    APPROVED = "approved"
    RECEIVED = "received"
    REFUNDED = "refunded"
    REJECTED = "rejected"


RETURN_TRANSITIONS: Mapping[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.REQUESTED: frozenset({ReturnStatus.APPROVED, ReturnStatus.REJECTED}),
    ReturnStatus.APPROVED: frozenset({ReturnStatus.RECEIVED, ReturnStatus.REJECTED}),
    ReturnStatus.RECEIVED: frozenset({ReturnStatus.REFUNDED, ReturnStatus.REJECTED}),
    ReturnStatus.REFUNDED: frozenset(),
    ReturnStatus.REJECTED: frozenset(),
}

CARRIER_NAMES: Mapping[str, str] = {
    "SF": "顺丰速运",
    "ZT": "中通快递",
    "YT": "圆通速递",
    "JD": "京东物流",
    "EMS": "中国邮政EMS",
}

RETURNABLE_STATUSES = frozenset({OrderStatus.DELIVERED, OrderStatus.RETURNED})
# Only a paid order still waits for the warehouse; urging any other is pointless.
URGEABLE_STATUSES = frozenset({OrderStatus.PAID})


class EligibilityCode(str, Enum):
    """Outcome of an eligibility check; actions map each to a Chinese reply."""

    ELIGIBLE = "eligible"
    ORDER_NOT_DELIVERED = "order_not_delivered"
    CATEGORY_EXCLUDED = "category_excluded"
    RETURN_WINDOW_EXPIRED = "return_window_expired"
    ALREADY_RETURNED = "already_returned"
    QUANTITY_EXCEEDED = "quantity_exceeded"


@dataclass(frozen=True)
class ReturnPolicy:
    """The shop's return policy.

    Attributes:
        no_reason_days: Days after delivery for a no-reason return (七天无理由).
        quality_days: Days after delivery to return goods with a quality issue
            or a wrong item.
        excluded_categories: Categories never returnable without a reason
            (customised goods, fresh food, opened software...).
        max_units_per_line: Most units of one order line a single return may cover.
    """

    no_reason_days: int = 7
    quality_days: int = 15
    excluded_categories: frozenset[str] = field(
        default_factory=lambda: frozenset({"custom", "fresh_food", "software"})
    )
    max_units_per_line: int = 99

    def window_days(self, reason: ReturnReason) -> int:
        """Return how many days after delivery a return for ``reason`` is allowed."""
        return (
            self.no_reason_days
            if reason is ReturnReason.NO_REASON
            else self.quality_days
        )


@dataclass(frozen=True)
class ItemState:
    """What the rules need to know about one order line."""

    sku: str
    category: str
    unit_price_fen: int
    purchased: int
    returned: int = 0

    @property
    def returnable(self) -> int:
        """Units not yet covered by a return that is still open or refunded."""
        return max(self.purchased - self.returned, 0)


@dataclass(frozen=True)
class Eligibility:
    """Whether some units of one line may be returned, and on what terms."""

    sku: str
    reason: ReturnReason
    code: EligibilityCode
    message: str
    requested_quantity: int
    returnable_quantity: int
    deadline: date | None
    refund_fen: int

    @property
    def eligible(self) -> bool:
        """True when the return may be created."""
        return self.code is EligibilityCode.ELIGIBLE


def return_deadline(delivered_on: date, days: int) -> date:
    """Last calendar day (Beijing time) a return is accepted.

    Delivered on the 11th with a 7-day window: returns are accepted through the 18th.
    """
    return delivered_on + timedelta(days=days)


def check_item(
    policy: ReturnPolicy,
    *,
    order_status: OrderStatus,
    delivered_on: date | None,
    today: date,
    item: ItemState,
    reason: ReturnReason,
    quantity: int,
) -> Eligibility:
    """Check whether ``quantity`` units of one order line may be returned.

    Args:
        policy: The return policy.
        order_status: Status of the order the line belongs to.
        delivered_on: Delivery date in Beijing time, None if not delivered.
        today: Today's date in Beijing time.
        item: The order line and how much of it is already returned.
        reason: Why the shopper returns it.
        quantity: Units to return (at least 1).

    Returns:
        The eligibility, with the first rule that refuses it as its code.
    """
    returnable = item.returnable

    def result(
        code: EligibilityCode, message: str, deadline: date | None
    ) -> Eligibility:
        eligible = code is EligibilityCode.ELIGIBLE
        return Eligibility(
            sku=item.sku,
            reason=reason,
            code=code,
            message=message,
            requested_quantity=quantity,
            returnable_quantity=returnable,
            deadline=deadline,
            refund_fen=item.unit_price_fen * quantity if eligible else 0,
        )

    if order_status not in RETURNABLE_STATUSES or delivered_on is None:
        return result(
            EligibilityCode.ORDER_NOT_DELIVERED,
            f"the order is {order_status.value}; returns start after delivery",
            None,
        )
    deadline = return_deadline(delivered_on, policy.window_days(reason))
    if reason is ReturnReason.NO_REASON and item.category in policy.excluded_categories:
        return result(
            EligibilityCode.CATEGORY_EXCLUDED,
            f"category {item.category} cannot be returned without a reason",
            None,
        )
    if today > deadline:
        return result(
            EligibilityCode.RETURN_WINDOW_EXPIRED,
            f"the {reason.value} return window ended on {deadline.isoformat()}",
            deadline,
        )
    if returnable == 0:
        return result(
            EligibilityCode.ALREADY_RETURNED,
            f"every unit of {item.sku} is already returned",
            deadline,
        )
    if quantity > min(returnable, policy.max_units_per_line):
        return result(
            EligibilityCode.QUANTITY_EXCEEDED,
            f"at most {min(returnable, policy.max_units_per_line)} unit(s) of "
            f"{item.sku} can be returned, asked for {quantity}",
            deadline,
        )
    return result(EligibilityCode.ELIGIBLE, "the item can be returned", deadline)


def plan_return(
    policy: ReturnPolicy,
    *,
    order_status: OrderStatus,
    delivered_on: date | None,
    today: date,
    items: Mapping[str, ItemState],
    requested: Mapping[str, int],
    reason: ReturnReason,
) -> list[Eligibility]:
    """Check every line of a return request; refuse the whole request on any failure.

    Args:
        policy: The return policy.
        order_status: Status of the order.
        delivered_on: Delivery date in Beijing time, None if not delivered.
        today: Today's date in Beijing time.
        items: The order's lines by SKU (every requested SKU must be present).
        requested: Units to return by SKU.
        reason: Why the shopper returns them.

    Returns:
        One eligible result per requested line, in request order.

    Raises:
        RuleViolation: With the code of the first line that is refused.
    """
    results = [
        check_item(
            policy,
            order_status=order_status,
            delivered_on=delivered_on,
            today=today,
            item=items[sku],
            reason=reason,
            quantity=quantity,
        )
        for sku, quantity in requested.items()
    ]
    for outcome in results:
        if not outcome.eligible:
            raise RuleViolation(f"{outcome.sku}: {outcome.message}", outcome.code.value)
    return results


def check_transition(current: ReturnStatus, target: ReturnStatus) -> None:
    """Refuse a return status change the lifecycle does not allow.

    Raises:
        RuleViolation: ``invalid_return_transition``.
    """
    if target not in RETURN_TRANSITIONS[current]:
        raise RuleViolation(
            f"a {current.value} return cannot become {target.value}",
            "invalid_return_transition",
        )


def check_urge(order_number: str, status: OrderStatus) -> None:
    """Refuse a shipping urge (催发货) on an order that is not awaiting shipment.

    Args:
        order_number: The order the shopper urges.
        status: Its current status.

    Raises:
        RuleViolation: ``order_not_awaiting_shipment``.
    """
    if status not in URGEABLE_STATUSES:
        raise RuleViolation(
            f"order {order_number} is {status.value}; only a paid order that has "
            "not shipped yet can be urged",
            "order_not_awaiting_shipment",
        )


def next_rma_number(day: date, last_of_day: str | None) -> str:
    """Return the next RMA number of a day: ``RMA`` + YYYYMMDD + 4-digit sequence."""
    sequence = int(last_of_day[-4:]) + 1 if last_of_day else 1
    if sequence > 9999:
        raise RuleViolation("too many returns today", "rma_sequence_exhausted")
    return f"RMA{day:%Y%m%d}{sequence:04d}"


def request_fingerprint(
    order_number: str,
    requested: Mapping[str, int],
    reason: ReturnReason,
    description: str | None,
    evidence: Sequence[str] = (),
) -> str:
    """Hash what a create-return request asks for, to spot reused idempotency keys.

    Evidence enters the hash only when there is some, so requests without it
    hash as they did before evidence existed.
    """
    asked: dict[str, object] = {
        "order_number": order_number,
        "items": sorted(requested.items()),
        "reason": reason.value,
        "description": description or "",
    }
    if evidence:
        asked["evidence"] = list(evidence)
    canonical = json.dumps(
        asked,
        ensure_ascii=False,
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def returned_units(lines: Sequence[tuple[str, int, str]]) -> dict[str, int]:
    """Sum units per SKU over return lines, ignoring rejected returns.

    Args:
        lines: ``(sku, quantity, return_status)`` for every line of every return.

    Returns:
        Units per SKU that count against what can still be returned.
    """
    totals: dict[str, int] = {}
    for sku, quantity, status in lines:
        if status != ReturnStatus.REJECTED.value:
            totals[sku] = totals.get(sku, 0) + quantity
    return totals


RETURN_ADDRESS = (
    "广东省东莞市松山湖高新区工业北路6号 小客退货中心"
    "（收件人：售后部，电话：0769-22881234）"
)


def return_instructions(reason: ReturnReason, rma_number: str) -> str:
    """Tell the shopper how to send the goods back (Chinese, shown as is)."""
    common = f"请在快递单备注退货单号 {rma_number}，并附上全部配件和发票。"
    if reason is ReturnReason.NO_REASON:
        return common + "七天无理由退货请保持商品完好，寄回运费由您承担。"
    return common + "质量问题或发错货的退货运费由我们承担，签收后尽快为您退款。"
