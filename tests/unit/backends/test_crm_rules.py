"""Loyalty and warranty rules of the CRM, without a database."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.backends.common.errors import Conflict
from bot.backends.crm.rules import (
    EntryKind,
    LedgerLine,
    Tier,
    WarrantyStatus,
    add_months,
    check_identity_owner,
    check_serial_owner,
    summarize_points,
    tier_progress,
    warranty_end,
    warranty_terms,
)

TODAY = date(2024, 11, 20)


def at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 4, tzinfo=timezone.utc)


def earn(points: int, day: date, expires: date) -> LedgerLine:
    return LedgerLine(EntryKind.EARN, points, at(day), expires)


def spend(points: int, day: date) -> LedgerLine:
    return LedgerLine(EntryKind.SPEND, -points, at(day))


def expire(points: int, day: date) -> LedgerLine:
    return LedgerLine(EntryKind.EXPIRE, -points, at(day))


@pytest.mark.parametrize(
    ("growth", "tier", "to_next", "percent"),
    [
        (0, Tier.REGULAR, 2000, 0),
        (1999, Tier.REGULAR, 1, 99),
        (2000, Tier.SILVER, 8000, 0),
        (13999, Tier.GOLD, 16001, 19),
        (30000, Tier.DIAMOND, 0, 100),
        (-5, Tier.REGULAR, 2000, 0),
    ],
)
def test_tier_thresholds_and_progress(
    growth: int, tier: Tier, to_next: int, percent: int
) -> None:
    progress = tier_progress(growth)
    assert progress.current.tier is tier
    assert progress.points_to_next == to_next
    assert progress.progress_percent == percent


def test_spending_uses_points_that_expire_first() -> None:
    summary = summarize_points(
        [
            earn(500, date(2024, 1, 1), date(2024, 12, 1)),
            earn(800, date(2024, 6, 1), date(2025, 6, 1)),
            spend(300, date(2024, 10, 1)),
        ],
        TODAY,
        within_days=30,
    )
    assert summary.balance == 1000
    assert summary.expiring_points == 200
    assert summary.next_expiry_date == date(2024, 12, 1)
    assert summary.growth_value == 1300


def test_points_outside_the_window_are_not_expiring_soon() -> None:
    lines = [earn(500, date(2024, 1, 1), date(2024, 12, 25))]
    assert summarize_points(lines, TODAY, within_days=30).expiring_points == 0
    assert summarize_points(lines, TODAY, within_days=35).expiring_points == 500


def test_expire_entry_consumes_the_lapsed_lot_only() -> None:
    summary = summarize_points(
        [
            earn(1000, date(2023, 1, 1), date(2024, 1, 1)),
            earn(400, date(2024, 3, 1), date(2025, 3, 1)),
            expire(1000, date(2024, 1, 2)),
            spend(100, date(2024, 5, 1)),
        ],
        TODAY,
        within_days=30,
    )
    assert (summary.balance, summary.lapsed_points) == (300, 0)


def test_points_past_expiry_without_entry_are_not_usable() -> None:
    summary = summarize_points(
        [earn(700, date(2023, 11, 1), date(2024, 11, 1))], TODAY, within_days=30
    )
    assert (summary.balance, summary.lapsed_points) == (0, 700)


def test_points_expiring_today_are_still_usable_and_expiring() -> None:
    summary = summarize_points([earn(50, date(2023, 11, 20), TODAY)], TODAY, 1)
    assert (summary.balance, summary.expiring_points) == (50, 50)


def test_warranty_end_is_the_day_before_the_anniversary() -> None:
    assert warranty_end(date(2024, 3, 15), 12) == date(2025, 3, 14)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert warranty_end(date(2023, 8, 31), 6) == date(2024, 2, 28)


def test_extended_warranty_adds_months_after_the_standard_period() -> None:
    terms = warranty_terms(date(2023, 6, 1), 12, 12, TODAY)
    assert terms.standard_end == date(2024, 5, 31)
    assert terms.end == date(2025, 5, 31)
    assert terms.status is WarrantyStatus.ACTIVE
    assert terms.in_extended_period
    assert terms.days_remaining == (date(2025, 5, 31) - TODAY).days


def test_warranty_expires_after_its_last_day() -> None:
    assert (
        warranty_terms(date(2023, 11, 20), 12, 0, TODAY).status
        is WarrantyStatus.EXPIRED
    )
    last_day = warranty_terms(date(2023, 11, 21), 12, 0, TODAY)
    assert (last_day.status, last_day.days_remaining) == (WarrantyStatus.ACTIVE, 0)


def test_serial_registered_once_idempotent_for_the_owner() -> None:
    assert check_serial_owner(None, "C1") is True
    assert check_serial_owner("C1", "C1") is False
    with pytest.raises(Conflict) as caught:
        check_serial_owner("C1", "C2")
    assert caught.value.code == "serial_already_registered"


def test_identity_bound_to_another_customer_conflicts() -> None:
    assert check_identity_owner("C1", "C1") is False
    with pytest.raises(Conflict, match="another customer"):
        check_identity_owner("C2", "C1")
