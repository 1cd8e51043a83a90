"""Use cases of membership: tier benefits, rewards, redemptions, points per order."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from bot.backends.common.errors import Conflict, NotFound
from bot.backends.common.timeutil import Clock, china_date, utc_now
from bot.backends.crm.models import PointsEntry, Redemption, Reward, TierBenefit
from bot.backends.crm.repository import CrmRepository
from bot.backends.crm.rules import (
    TIER_LEVELS,
    BenefitLine,
    EntryKind,
    OrderPointsTotals,
    TierLevel,
    TierProgress,
    benefits_added,
    check_redeemable,
    code_expiry,
    coupon_code,
    order_points_totals,
    pending_order_points,
    reward_on_offer,
    summarize_points,
    tier_progress,
)
from bot.backends.crm.service import OrderGateway, ledger_line

logger = logging.getLogger(__name__)

# A redemption can collide on its idempotency key or (very rarely) its code;
# each retry re-reads, so a key that won the race is replayed.
_REDEEM_ATTEMPTS = 4


@dataclass(frozen=True)
class TierView:
    """A tier with the benefits the database gives it."""

    level: TierLevel
    benefits: Sequence[BenefitLine]


@dataclass(frozen=True)
class MembershipStatus:
    """Where a customer stands: tier, next tier and what it would add."""

    customer_id: str
    progress: TierProgress
    current: TierView
    next: TierView | None
    next_adds: Sequence[BenefitLine]


@dataclass(frozen=True)
class RewardOffer:
    """The rewards on offer today and the balance to judge them by."""

    balance: int
    rewards: Sequence[Reward]


@dataclass(frozen=True)
class OrderPoints:
    """Points one order earned, used and has still to earn."""

    order_number: str
    totals: OrderPointsTotals
    pending: int
    entries: Sequence[PointsEntry]


class MembershipService:
    """Tier benefits, the rewards catalogue, redemptions and points per order.

    Args:
        sessions: Factory of the sessions each use case runs in.
        orders: The order system, asked about orders without points yet.
        clock: Source of the current time.
    """

    def __init__(
        self,
        sessions: sessionmaker,
        orders: OrderGateway,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._orders = orders
        self._clock = clock

    async def lacks_catalogue(self) -> bool:
        """Tell whether the database has neither tier benefits nor rewards."""
        async with self._sessions() as session:
            repo = CrmRepository(session)
            return await repo.count_benefits() == 0 and not await repo.rewards()

    async def tiers(self) -> list[TierView]:
        """Return every tier, lowest first, with its benefits."""
        async with self._sessions() as session:
            rows = await CrmRepository(session).benefits()
        return [_tier_view(level, rows) for level in TIER_LEVELS]

    async def membership(self, customer_id: str) -> MembershipStatus:
        """Return a customer's tier, the next one and what the next one adds.

        Raises:
            NotFound: ``loyalty_account_not_found``.
        """
        async with self._sessions() as session:
            repo = CrmRepository(session)
            await _require_account(repo, customer_id)
            entries = await repo.ledger(customer_id)
            rows = await repo.benefits()
        points = summarize_points(
            (ledger_line(entry) for entry in entries), self._today(), 0
        )
        progress = tier_progress(points.growth_value)
        current = _tier_view(progress.current, rows)
        following = _tier_view(progress.next, rows) if progress.next else None
        adds = benefits_added(current.benefits, following.benefits) if following else []
        return MembershipStatus(customer_id, progress, current, following, adds)

    async def rewards_for(self, customer_id: str) -> RewardOffer:
        """Return the rewards on offer today (out of stock included) and the balance.

        Raises:
            NotFound: ``loyalty_account_not_found``.
        """
        today = self._today()
        async with self._sessions() as session:
            repo = CrmRepository(session)
            await _require_account(repo, customer_id)
            entries = await repo.ledger(customer_id)
            rewards = await repo.rewards()
        balance = _balance(entries, today)
        on_offer = [r for r in rewards if reward_on_offer(r.valid_until, today)]
        return RewardOffer(balance, on_offer)

    async def redeem(
        self, customer_id: str, reward_id: str, idempotency_key: str
    ) -> tuple[Redemption, bool]:
        """Spend points on a reward, once per idempotency key.

        The balance check, the ``spend`` entry, the stock decrement and the
        redemption are one transaction, run while the customer's loyalty account
        row is locked: two redemptions of one customer never overlap, so the
        balance cannot go below zero.

        Args:
            customer_id: The customer.
            reward_id: What they redeem.
            idempotency_key: The caller's key; the same key gives the same
                redemption and spends nothing more.

        Returns:
            The redemption and whether this call made it (False on a replay).

        Raises:
            NotFound: ``loyalty_account_not_found`` or ``reward_not_found``.
            Conflict: ``reward_expired``, ``reward_out_of_stock``,
                ``insufficient_points`` (with details), ``idempotency_key_reused``
                for another reward, ``concurrent_update`` after the retries.
        """
        for attempt in range(1, _REDEEM_ATTEMPTS + 1):
            try:
                return await self._redeem_once(customer_id, reward_id, idempotency_key)
            except IntegrityError:
                logger.info("redemption collided (attempt %d), retrying", attempt)
        raise Conflict(
            "the redemption could not be made because of concurrent requests; retry",
            "concurrent_update",
        )

    async def _redeem_once(
        self, customer_id: str, reward_id: str, key: str
    ) -> tuple[Redemption, bool]:
        async with self._sessions() as session, session.begin():
            repo = CrmRepository(session)
            existing = await repo.find_redemption(customer_id, key)
            if existing is not None:
                return _replay(existing, reward_id), False
            if await repo.get_account(customer_id, for_update=True) is None:
                raise _no_account(customer_id)
            # A request with the same key may have committed while we waited.
            existing = await repo.find_redemption(customer_id, key)
            if existing is not None:
                return _replay(existing, reward_id), False
            reward = await repo.get_reward(reward_id)
            if reward is None:
                raise NotFound(f"reward {reward_id} not found", "reward_not_found")
            now = self._clock()
            today = china_date(now)
            balance = _balance(await repo.ledger(customer_id), today)
            check_redeemable(
                points=reward.points,
                stock=reward.stock,
                valid_until=reward.valid_until,
                balance=balance,
                today=today,
            )
            if reward.stock is not None and not await repo.take_one(reward.id):
                # Another customer took the last unit after we read the stock.
                raise Conflict("the reward is out of stock", "reward_out_of_stock")
            entry = PointsEntry(
                customer_id=customer_id,
                kind=EntryKind.SPEND.value,
                points=-reward.points,
                occurred_at=now,
                description=f"兑换 {reward.name}",
            )
            await repo.add(entry)
            redemption = Redemption(
                customer_id=customer_id,
                idempotency_key=key,
                reward_id=reward.id,
                reward_name=reward.name,
                points=reward.points,
                balance_after=balance - reward.points,
                ledger_entry_id=entry.id,
                coupon_code=coupon_code(),
                expires_on=code_expiry(today, reward.code_valid_days),
                redeemed_at=now,
            )
            await repo.add(redemption)
            return redemption, True

    async def order_points(self, customer_id: str, order_number: str) -> OrderPoints:
        """Return the points an order earned, used, and has still to earn.

        The ledger answers for orders with points; the order system is asked
        only about an order that has earned nothing yet.

        Raises:
            NotFound: ``loyalty_account_not_found``, or ``order_not_found`` when
                the order is unknown or another customer's.
            UpstreamUnavailable: The order system did not answer.
        """
        async with self._sessions() as session:
            repo = CrmRepository(session)
            await _require_account(repo, customer_id)
            entries = await repo.order_ledger(customer_id, order_number)
        totals = order_points_totals(ledger_line(entry) for entry in entries)
        pending = 0
        if not any(entry.kind == EntryKind.EARN.value for entry in entries):
            facts = await self._orders.order_facts(customer_id, order_number)
            if facts is None:
                raise NotFound(f"order {order_number} not found", "order_not_found")
            pending = pending_order_points(
                facts.status, facts.total_fen, facts.refunded_fen
            )
        return OrderPoints(order_number, totals, pending, entries)

    def _today(self) -> date:
        return china_date(self._clock())


def _tier_view(level: TierLevel, rows: Sequence[TierBenefit]) -> TierView:
    benefits = [
        BenefitLine(row.code, row.title, row.detail)
        for row in sorted(rows, key=lambda row: row.position)
        if row.tier == level.tier.value
    ]
    return TierView(level, benefits)


def _balance(entries: Sequence[PointsEntry], today: date) -> int:
    return summarize_points((ledger_line(e) for e in entries), today, 0).balance


def _replay(existing: Redemption, reward_id: str) -> Redemption:
    if existing.reward_id != reward_id:
        raise Conflict(
            "this idempotency_key was already used to redeem another reward",
            "idempotency_key_reused",
        )
    return existing


def _no_account(customer_id: str) -> NotFound:
    return NotFound(
        f"customer {customer_id} has no loyalty account", "loyalty_account_not_found"
    )


async def _require_account(repo: CrmRepository, customer_id: str) -> None:
    if await repo.get_account(customer_id) is None:
        raise _no_account(customer_id)
