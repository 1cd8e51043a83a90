"""Loyalty, membership and warranty rules of the CRM: pure functions, no I/O."""

from __future__ import annotations

import calendar
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from bot.backends.common.errors import Conflict
from bot.backends.common.timeutil import china_date


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
        usable = lots
        if line.kind is EntryKind.SPEND:
            # Points past their date are gone even before the ``expire`` entry
            # is written: a spend must not draw on them.
            spent_on = china_date(line.occurred_at)
            usable = [lot for lot in lots if lot.expires_on >= spent_on]
        for lot in sorted(usable, key=lambda open_lot: open_lot.expires_on):
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


class RewardKind(str, Enum):
    """What a reward is: a coupon for the shop, or a gift sent to the shopper."""

    COUPON = "coupon"
    GIFT = "gift"


@dataclass(frozen=True)
class BenefitLine:
    """One benefit of a tier, as the rules compare them."""

    code: str
    title: str
    detail: str


def benefits_added(
    current: Sequence[BenefitLine], following: Sequence[BenefitLine]
) -> list[BenefitLine]:
    """Return what the next tier adds: benefits new by code, or better by title.

    Args:
        current: The customer's tier's benefits.
        following: The next tier's benefits, in their order.

    Returns:
        The next tier's benefits whose code the current tier lacks, or whose title
        differs (e.g. 生日20元券 -> 生日50元券), in the next tier's order.
    """
    titles = {benefit.code: benefit.title for benefit in current}
    return [
        benefit for benefit in following if titles.get(benefit.code) != benefit.title
    ]


def reward_on_offer(valid_until: date | None, today: date) -> bool:
    """Tell whether a reward can still be redeemed today (its last day included)."""
    return valid_until is None or today <= valid_until


def check_redeemable(
    *,
    points: int,
    stock: int | None,
    valid_until: date | None,
    balance: int,
    today: date,
) -> None:
    """Refuse a redemption the reward or the balance does not allow.

    Checked in this order, so a shopper hears first about what no number of
    points would fix: the offer ended, then none left, then too few points.

    Args:
        points: The reward's price in points.
        stock: Units left; None for unlimited.
        valid_until: Last day of the offer; None for no end.
        balance: The customer's usable points today.
        today: Today's date in Beijing.

    Raises:
        Conflict: ``reward_expired``, ``reward_out_of_stock`` or
            ``insufficient_points`` (details ``balance`` and ``needed``).
    """
    if not reward_on_offer(valid_until, today):
        raise Conflict(f"the reward's offer ended on {valid_until}", "reward_expired")
    if stock is not None and stock <= 0:
        raise Conflict("the reward is out of stock", "reward_out_of_stock")
    if balance < points:
        raise Conflict(
            f"the reward needs {points} points; the balance is {balance}",
            "insufficient_points",
            {"balance": balance, "needed": points},
        )


# No 0/O, 1/I: the code is read aloud and typed from a screenshot.
COUPON_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
COUPON_GROUPS = 3
COUPON_GROUP_LENGTH = 4


def coupon_code(choose: Callable[[str], str] = secrets.choice) -> str:
    """Generate a redemption code such as ``XK-7KQ2-M9TD-4HWA``.

    60 random bits from ``secrets``: a code cannot be guessed from another one.

    Args:
        choose: Picks one character of a string (fixed in tests).

    Returns:
        The code.
    """
    groups = (
        "".join(choose(COUPON_ALPHABET) for _ in range(COUPON_GROUP_LENGTH))
        for _ in range(COUPON_GROUPS)
    )
    return "XK-" + "-".join(groups)


def code_expiry(redeemed_on: date, valid_days: int) -> date:
    """Last day a redemption's code can be used: ``valid_days`` after redeeming."""
    return redeemed_on + timedelta(days=valid_days)


# One point per whole yuan paid, as the demo ledger's order entries are.
FEN_PER_POINT = 100
# Orders that will earn points once delivered; unpaid, cancelled and returned
# orders earn none.
EARNING_STATUSES = frozenset({"paid", "shipped", "delivered"})


def points_for_payment(paid_fen: int) -> int:
    """Points an amount paid earns: one per whole yuan."""
    return max(paid_fen, 0) // FEN_PER_POINT


def pending_order_points(status: str, total_fen: int, refunded_fen: int) -> int:
    """Points an order has still to earn, when no ``earn`` entry carries it yet.

    Args:
        status: The order's status (the order service's ``OrderStatus``).
        total_fen: What the order cost.
        refunded_fen: The value of units under returns that are not rejected.

    Returns:
        Points for what stays paid, or 0 for an order that earns nothing.
    """
    if status not in EARNING_STATUSES:
        return 0
    return points_for_payment(total_fen - refunded_fen)


@dataclass(frozen=True)
class OrderPointsTotals:
    """Points one order earned and the points spent on it."""

    earned: int
    spent: int


def order_points_totals(lines: Iterable[LedgerLine]) -> OrderPointsTotals:
    """Add up the ledger entries that carry one order number."""
    earned = spent = 0
    for line in lines:
        if line.kind is EntryKind.EARN:
            earned += line.points
        elif line.kind is EntryKind.SPEND:
            spent += -line.points
    return OrderPointsTotals(earned, spent)


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
