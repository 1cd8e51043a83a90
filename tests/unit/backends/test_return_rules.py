"""Return rules of the order service, without a database."""

from __future__ import annotations

from datetime import date

import pytest

from bot.backends.common.errors import RuleViolation
from bot.backends.orders.rules import (
    EligibilityCode,
    ItemState,
    OrderStatus,
    ReturnPolicy,
    ReturnReason,
    ReturnStatus,
    check_item,
    check_transition,
    next_rma_number,
    plan_return,
    request_fingerprint,
    returned_units,
)

POLICY = ReturnPolicy()
DELIVERED = date(2024, 11, 11)
EARBUDS = ItemState("EB-AIR2-WHT", "audio", 49900, purchased=2)


def check(
    today: date,
    item: ItemState = EARBUDS,
    reason: ReturnReason = ReturnReason.NO_REASON,
    quantity: int = 1,
    status: OrderStatus = OrderStatus.DELIVERED,
    delivered: date | None = DELIVERED,
):
    return check_item(
        POLICY,
        order_status=status,
        delivered_on=delivered,
        today=today,
        item=item,
        reason=reason,
        quantity=quantity,
    )


def test_no_reason_return_allowed_on_the_seventh_day() -> None:
    result = check(date(2024, 11, 18))
    assert result.eligible
    assert result.deadline == date(2024, 11, 18)
    assert result.refund_fen == 49900


def test_no_reason_return_rejected_after_seven_days() -> None:
    result = check(date(2024, 11, 19))
    assert result.code is EligibilityCode.RETURN_WINDOW_EXPIRED
    assert result.refund_fen == 0


@pytest.mark.parametrize(
    "reason", [ReturnReason.QUALITY_ISSUE, ReturnReason.WRONG_ITEM]
)
def test_quality_window_is_fifteen_days(reason: ReturnReason) -> None:
    assert check(date(2024, 11, 26), reason=reason).eligible
    assert not check(date(2024, 11, 27), reason=reason).eligible


@pytest.mark.parametrize("category", ["fresh_food", "custom", "software"])
def test_excluded_categories_need_a_reason(category: str) -> None:
    item = ItemState("X-1", category, 100, purchased=1)
    assert check(date(2024, 11, 12), item).code is EligibilityCode.CATEGORY_EXCLUDED
    assert check(date(2024, 11, 12), item, ReturnReason.QUALITY_ISSUE).eligible


@pytest.mark.parametrize(
    "status", [OrderStatus.UNPAID, OrderStatus.PAID, OrderStatus.SHIPPED]
)
def test_undelivered_orders_are_not_returnable(status: OrderStatus) -> None:
    result = check(date(2024, 11, 12), status=status, delivered=None)
    assert result.code is EligibilityCode.ORDER_NOT_DELIVERED
    assert result.deadline is None


def test_quantity_limited_to_units_not_yet_returned() -> None:
    partly = ItemState("EB-AIR2-WHT", "audio", 49900, purchased=2, returned=1)
    assert check(date(2024, 11, 12), partly, quantity=1).eligible
    over = check(date(2024, 11, 12), partly, quantity=2)
    assert over.code is EligibilityCode.QUANTITY_EXCEEDED
    assert over.returnable_quantity == 1


def test_fully_returned_line_says_already_returned() -> None:
    done = ItemState("EB-AIR2-WHT", "audio", 49900, purchased=2, returned=2)
    result = check(date(2024, 11, 12), done, status=OrderStatus.RETURNED)
    assert result.code is EligibilityCode.ALREADY_RETURNED


def test_policy_can_cap_units_per_line() -> None:
    policy = ReturnPolicy(max_units_per_line=1)
    result = check_item(
        policy,
        order_status=OrderStatus.DELIVERED,
        delivered_on=DELIVERED,
        today=date(2024, 11, 12),
        item=EARBUDS,
        reason=ReturnReason.NO_REASON,
        quantity=2,
    )
    assert result.code is EligibilityCode.QUANTITY_EXCEEDED


def test_plan_refuses_whole_request_when_one_line_fails() -> None:
    items = {
        "EB-AIR2-WHT": EARBUDS,
        "FF-CHERRY-2KG": ItemState("FF-CHERRY-2KG", "fresh_food", 26800, purchased=1),
    }
    with pytest.raises(RuleViolation) as caught:
        plan_return(
            POLICY,
            order_status=OrderStatus.DELIVERED,
            delivered_on=DELIVERED,
            today=date(2024, 11, 12),
            items=items,
            requested={"EB-AIR2-WHT": 1, "FF-CHERRY-2KG": 1},
            reason=ReturnReason.NO_REASON,
        )
    assert caught.value.code == "category_excluded"


def test_plan_sums_refunds_of_partial_return() -> None:
    plan = plan_return(
        POLICY,
        order_status=OrderStatus.DELIVERED,
        delivered_on=DELIVERED,
        today=date(2024, 11, 12),
        items={"EB-AIR2-WHT": EARBUDS},
        requested={"EB-AIR2-WHT": 2},
        reason=ReturnReason.NO_REASON,
    )
    assert [line.refund_fen for line in plan] == [99800]


def test_rejected_returns_do_not_count_against_quantity() -> None:
    lines = [("A-1", 1, "rejected"), ("A-1", 2, "refunded"), ("B-1", 1, "requested")]
    assert returned_units(lines) == {"A-1": 2, "B-1": 1}


def test_return_lifecycle_transitions() -> None:
    check_transition(ReturnStatus.REQUESTED, ReturnStatus.APPROVED)
    check_transition(ReturnStatus.RECEIVED, ReturnStatus.REFUNDED)
    with pytest.raises(RuleViolation):
        check_transition(ReturnStatus.REFUNDED, ReturnStatus.REQUESTED)
    with pytest.raises(RuleViolation):
        check_transition(ReturnStatus.REQUESTED, ReturnStatus.REFUNDED)


def test_rma_numbers_count_up_per_day() -> None:
    day = date(2024, 11, 20)
    assert next_rma_number(day, None) == "RMA202411200001"
    assert next_rma_number(day, "RMA202411200041") == "RMA202411200042"


def test_fingerprint_ignores_line_order_but_not_content() -> None:
    a = request_fingerprint("XK1", {"A": 1, "B": 2}, ReturnReason.NO_REASON, None)
    b = request_fingerprint("XK1", {"B": 2, "A": 1}, ReturnReason.NO_REASON, "")
    c = request_fingerprint("XK1", {"A": 1, "B": 1}, ReturnReason.NO_REASON, None)
    assert a == b != c
