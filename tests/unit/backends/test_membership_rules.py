"""Membership rules of the CRM without a database: benefits, redemption, points."""

from __future__ import annotations

import itertools
import re
from datetime import date, datetime, timezone

import pytest

from bot.backends.common.errors import Conflict
from bot.backends.crm.rules import (
    COUPON_ALPHABET,
    BenefitLine,
    EntryKind,
    LedgerLine,
    benefits_added,
    check_redeemable,
    code_expiry,
    coupon_code,
    order_points_totals,
    pending_order_points,
    points_for_payment,
    reward_on_offer,
    summarize_points,
)

TODAY = date(2024, 11, 20)
CODE_RE = re.compile(r"XK-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}")


def benefit(code: str, title: str) -> BenefitLine:
    return BenefitLine(code, title, f"{title}的说明")


def redeemable(**changes: object) -> None:
    terms: dict[str, object] = {
        "points": 500,
        "stock": 3,
        "valid_until": TODAY,
        "balance": 500,
        "today": TODAY,
    }
    terms.update(changes)
    check_redeemable(**terms)  # type: ignore[arg-type]


def test_next_tier_adds_new_and_upgraded_benefits_in_its_order() -> None:
    silver = [benefit("points", "购物返积分"), benefit("birthday", "生日20元券")]
    gold = [
        benefit("points", "购物返积分"),
        benefit("free_shipping", "全年包邮"),
        benefit("birthday", "生日50元券"),
    ]
    assert [b.code for b in benefits_added(silver, gold)] == [
        "free_shipping",
        "birthday",
    ]


def test_nothing_is_added_by_an_identical_tier() -> None:
    same = [benefit("points", "购物返积分")]
    assert benefits_added(same, list(same)) == []


def test_reward_can_be_redeemed_on_its_last_day_with_exact_points() -> None:
    redeemable()  # no error
    assert reward_on_offer(None, TODAY)
    assert not reward_on_offer(date(2024, 11, 19), TODAY)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"valid_until": date(2024, 11, 19)}, "reward_expired"),
        ({"stock": 0}, "reward_out_of_stock"),
        ({"balance": 499}, "insufficient_points"),
        # The offer ending is said first, then stock, then points.
        ({"valid_until": date(2024, 1, 1), "stock": 0, "balance": 0}, "reward_expired"),
        ({"stock": 0, "balance": 0}, "reward_out_of_stock"),
    ],
)
def test_redemption_refusals(changes: dict[str, object], code: str) -> None:
    with pytest.raises(Conflict) as refused:
        redeemable(**changes)
    assert refused.value.code == code


def test_unlimited_reward_is_never_out_of_stock() -> None:
    redeemable(stock=None, valid_until=None)


def test_insufficient_points_carries_balance_and_price() -> None:
    with pytest.raises(Conflict) as refused:
        redeemable(points=2000, balance=1700)
    assert refused.value.details == {"balance": 1700, "needed": 2000}


def test_coupon_code_format_with_a_fixed_random_part() -> None:
    letters = itertools.cycle("ABCD")
    assert coupon_code(lambda _alphabet: next(letters)) == "XK-ABCD-ABCD-ABCD"


def test_coupon_codes_are_random_and_unambiguous() -> None:
    codes = {coupon_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(CODE_RE.fullmatch(code) for code in codes)
    assert not set("01IO") & set(COUPON_ALPHABET)


def test_code_expires_days_after_redemption() -> None:
    assert code_expiry(TODAY, 30) == date(2024, 12, 20)


@pytest.mark.parametrize(
    ("paid_fen", "points"), [(399900, 3999), (12899, 128), (99, 0), (-100, 0)]
)
def test_one_point_per_whole_yuan(paid_fen: int, points: int) -> None:
    assert points_for_payment(paid_fen) == points


@pytest.mark.parametrize(
    ("status", "pending"),
    [
        ("paid", 755),
        ("shipped", 755),
        ("delivered", 755),
        ("unpaid", 0),
        ("cancelled", 0),
        ("returned", 0),
    ],
)
def test_pending_points_by_order_status(status: str, pending: int) -> None:
    assert pending_order_points(status, 75500, 0) == pending


def test_units_under_return_earn_nothing() -> None:
    assert pending_order_points("delivered", 99800, 49900) == 499


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, tzinfo=timezone.utc)


def test_order_totals_add_earned_and_spent_points() -> None:
    lines = [
        LedgerLine(EntryKind.EARN, 3999, at(TODAY)),
        LedgerLine(EntryKind.SPEND, -1200, at(TODAY)),
        LedgerLine(EntryKind.EXPIRE, -100, at(TODAY)),
    ]
    totals = order_points_totals(lines)
    assert (totals.earned, totals.spent) == (3999, 1200)


def test_spending_skips_points_already_past_expiry() -> None:
    # 700 lapsed on 11-01 with no expire entry yet; a spend on 11-10 must draw
    # on the 300 still valid, not on the lapsed lot.
    summary = summarize_points(
        [
            LedgerLine(EntryKind.EARN, 700, at(date(2023, 11, 1)), date(2024, 11, 1)),
            LedgerLine(EntryKind.EARN, 300, at(date(2024, 5, 1)), date(2025, 5, 1)),
            LedgerLine(EntryKind.SPEND, -300, at(date(2024, 11, 10))),
        ],
        TODAY,
        within_days=30,
    )
    assert (summary.balance, summary.lapsed_points) == (0, 700)
