"""Loyalty and warranty rules of the CRM: pure functions, no database, no HTTP."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from bot.backends.common.errors import Conflict


class Tier(str, Enum):
    """Membership tiers, lowest first."""

    REGULAR = "regular"
    SILVER = "silver"
    GOLD = "gold"
    DIAMOND = "diamond"


@dataclass(frozen=True)
class TierLevel:
    """A tier, its Chinese name and the growth value it starts at."""

    tier: Tier
    name: str
    threshold: int


# Growth value is every point ever earned; spending or expiry never lowers a tier.
TIER_LEVELS: tuple[TierLevel, ...] = (
    TierLevel(Tier.REGULAR, "普通会员", 0),
    TierLevel(Tier.SILVER, "银卡会员", 2_000),
    TierLevel(Tier.GOLD, "金卡会员", 10_000),
    TierLevel(Tier.DIAMOND, "钻石会员", 30_000),
)


@dataclass(frozen=True)
class TierProgress:
    """Where a customer stands in the tier ladder."""

    growth_value: int
    current: TierLevel
    next: TierLevel | None

    @property
    def points_to_next(self) -> int:
        """Growth value still missing for the next tier (0 at the top)."""
        return 0 if self.next is None else self.next.threshold - self.growth_value

    @property
    def progress_percent(self) -> int:
        """Progress from the current tier's threshold to the next one, 0-100."""
        if self.next is None:
            return 100
        span = self.next.threshold - self.current.threshold
        return (self.growth_value - self.current.threshold) * 100 // span


def tier_progress(
    growth_value: int, levels: Sequence[TierLevel] = TIER_LEVELS
) -> TierProgress:
    """Return the tier a growth value reaches and the distance to the next one."""
    growth_value = max(growth_value, 0)
    index = 0
    for position, level in enumerate(levels):
        if growth_value >= level.threshold:
            index = position
    following = levels[index + 1] if index + 1 < len(levels) else None
    return TierProgress(growth_value, levels[index], following)


class EntryKind(str, Enum):
    """Kinds of points ledger entries."""

    EARN = "earn"
    SPEND = "spend"
    EXPIRE = "expire"


@dataclass(frozen=True)
class LedgerLine:
    """What the points rules need from a ledger entry."""

    kind: EntryKind
    points: int
    occurred_at: datetime
    expires_on: date | None = None


@dataclass(frozen=True)
class PointsSummary:
    """A customer's usable points and those about to lapse.

    Attributes:
        balance: Points usable today.
        growth_value: Every point ever earned (drives the tier).
        expiring_points: Usable points that lapse within the window.
        next_expiry_date: First date on which some usable points lapse.
        lapsed_points: Points past their expiry date with no ``expire`` entry yet.
    """

    balance: int
    growth_value: int
    expiring_points: int
    next_expiry_date: date | None
    lapsed_points: int


@dataclass
class _Lot:
    expires_on: date
    remaining: int


def summarize_points(
    lines: Iterable[LedgerLine], today: date, within_days: int
) -> PointsSummary:
    """Work out the balance and the points expiring within ``within_days``.

    Earned points form lots with an expiry date. Spending and expiry consume the
    open lots that lapse first, in the order the entries happened.

    Args:
        lines: The customer's ledger in any order.
        today: Today's date in Beijing time.
        within_days: Window for "expiring soon" (inclusive of today + N).

    Returns:
        The summary.
    """
    lots: list[_Lot] = []
    growth = 0
    for line in sorted(lines, key=lambda entry: entry.occurred_at):
        if line.kind is EntryKind.EARN:
            growth += line.points
            lots.append(_Lot(line.expires_on or date.max, line.points))
            continue
        debit = abs(line.points)
        for lot in sorted(lots, key=lambda open_lot: open_lot.expires_on):
            taken = min(lot.remaining, debit)
            lot.remaining -= taken
            debit -= taken
            if debit == 0:
                break
    horizon = today + timedelta(days=within_days)
    balance = expiring = lapsed = 0
    next_expiry: date | None = None
    for lot in lots:
        if lot.remaining <= 0:
            continue
        if lot.expires_on < today:
            lapsed += lot.remaining
            continue
        balance += lot.remaining
        if lot.expires_on <= horizon:
            expiring += lot.remaining
        if lot.expires_on != date.max and (
            next_expiry is None or lot.expires_on < next_expiry
        ):
            next_expiry = lot.expires_on
    return PointsSummary(balance, growth, expiring, next_expiry, lapsed)


def add_months(start: date, months: int) -> date:
    """Add calendar months, clamping to the end of shorter months."""
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def warranty_end(purchase_date: date, months: int) -> date:
    """Last day covered by a warranty of ``months`` starting on the purchase date.

    Bought on 2024-03-15 with 12 months: covered through 2025-03-14.
    """
    return add_months(purchase_date, months) - timedelta(days=1)


class WarrantyStatus(str, Enum):
    """Whether a registered product is still covered."""

    ACTIVE = "active"
    EXPIRED = "expired"


@dataclass(frozen=True)
class WarrantyTerms:
    """The dates a registration covers and its status on a given day."""

    standard_end: date
    end: date
    status: WarrantyStatus
    days_remaining: int
    in_extended_period: bool


def warranty_terms(
    purchase_date: date, standard_months: int, extended_months: int, today: date
) -> WarrantyTerms:
    """Compute warranty end dates and status for a registration."""
    standard_end = warranty_end(purchase_date, standard_months)
    end = warranty_end(purchase_date, standard_months + extended_months)
    active = today <= end
    return WarrantyTerms(
        standard_end=standard_end,
        end=end,
        status=WarrantyStatus.ACTIVE if active else WarrantyStatus.EXPIRED,
        days_remaining=(end - today).days if active else 0,
        in_extended_period=active and today > standard_end,
    )


def check_serial_owner(owner_id: str | None, customer_id: str) -> bool:
    """Decide a warranty registration for a serial number.

    Args:
        owner_id: Customer the serial is registered to, None if it is free.
        customer_id: Customer registering it now.

    Returns:
        True to create a registration, False to return the existing one
        (the same customer registering again is idempotent).

    Raises:
        Conflict: ``serial_already_registered`` when another customer owns it.
    """
    if owner_id is None:
        return True
    if owner_id == customer_id:
        return False
    raise Conflict(
        "this serial number is registered to another customer",
        "serial_already_registered",
    )


def check_identity_owner(owner_id: str | None, customer_id: str) -> bool:
    """Decide an identity binding the same way as :func:`check_serial_owner`.

    Raises:
        Conflict: ``identity_already_bound`` when another customer holds it.
    """
    if owner_id is None:
        return True
    if owner_id == customer_id:
        return False
    raise Conflict(
        "this channel identity is bound to another customer", "identity_already_bound"
    )
