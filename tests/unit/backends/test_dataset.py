"""The demo data set: deterministic, consistent and in the contract's formats."""

from __future__ import annotations

from datetime import date

from bot.backends.common import validation as v
from bot.backends.common.timeutil import china_date
from bot.backends.crm.rules import (
    TIER_LEVELS,
    EntryKind,
    LedgerLine,
    reward_on_offer,
    summarize_points,
    tier_progress,
)
from bot.backends.crm.schemas import REWARD_ID_RE
from bot.backends.orders.rules import OrderStatus
from bot.backends.seed.dataset import build_dataset
from bot.backends.seed.membership import TIER_BENEFITS, build_rewards

TODAY = date(2024, 11, 20)


def test_same_day_gives_the_same_data() -> None:
    assert build_dataset(TODAY) == build_dataset(TODAY)


def test_identifiers_stay_fixed_while_dates_follow_today() -> None:
    before, after = build_dataset(TODAY), build_dataset(date(2025, 3, 1))
    assert [o.order_number for o in before.orders] == [
        o.order_number for o in after.orders
    ]
    delivered_after = after.orders[3].delivered_at
    assert delivered_after is not None
    assert before.orders[3].delivered_at != delivered_after
    assert china_date(delivered_after) == date(2025, 2, 26)


def test_identifiers_match_the_contract_and_are_unique() -> None:
    data = build_dataset(TODAY)
    orders = [o.order_number for o in data.orders]
    serials = [s for o in data.orders for i in o.items for s in i.serials]
    trackings = [s.tracking_number for o in data.orders for s in o.shipments]
    phones = [c.phone for c in data.customers]
    for values, pattern in (
        (orders, v.ORDER_NUMBER_RE),
        (serials, v.SERIAL_NUMBER_RE),
        (trackings, v.TRACKING_NUMBER_RE),
        (phones, v.PHONE_RE),
        ([c.customer_id for c in data.customers], v.CUSTOMER_ID_RE),
    ):
        assert len(values) == len(set(values))
        assert all(pattern.fullmatch(value) for value in values), values


def test_every_order_state_and_tier_is_present() -> None:
    data = build_dataset(TODAY)
    assert {o.status for o in data.orders} == {s.value for s in OrderStatus}
    tiers = set()
    for customer in data.customers:
        lines = [
            LedgerLine(EntryKind(e.kind), e.points, e.at, e.expires_on)
            for e in customer.ledger
        ]
        tiers.add(
            tier_progress(summarize_points(lines, TODAY, 30).growth_value).current.tier
        )
    assert {t.value for t in tiers} == {"regular", "silver", "gold", "diamond"}


def test_ledgers_agree_with_the_points_rules() -> None:
    # No lapsed points are left behind and the ledger sum equals the usable balance.
    for customer in build_dataset(TODAY).customers:
        lines = [
            LedgerLine(EntryKind(e.kind), e.points, e.at, e.expires_on)
            for e in customer.ledger
        ]
        summary = summarize_points(lines, TODAY, 30)
        assert summary.lapsed_points == 0, customer.customer_id
        assert summary.balance == sum(e.points for e in customer.ledger)


def test_bound_and_unbound_customers_exist() -> None:
    data = build_dataset(TODAY)
    by_id = {c.customer_id: c for c in data.customers}
    assert by_id["C100001"].identities == (("wechat", "demo-openid-001"),)
    assert by_id["C100003"].identities == ()
    assert by_id["C100004"].identities == ()


def test_events_are_in_the_past_and_in_order() -> None:
    for order in build_dataset(TODAY).orders:
        for shipment in order.shipments:
            times = [event.at for event in shipment.events]
            assert times == sorted(times)
            assert all(china_date(t) < TODAY for t in times)


def test_every_tier_has_benefits_with_unique_codes() -> None:
    assert list(TIER_BENEFITS) == [level.tier.value for level in TIER_LEVELS]
    for benefits in TIER_BENEFITS.values():
        codes = [benefit.code for benefit in benefits]
        assert codes and len(codes) == len(set(codes))


def test_rewards_cover_every_refusal_and_both_ends_of_the_price_range() -> None:
    rewards = build_rewards(TODAY)
    assert 5 <= len(rewards) <= 8
    assert all(REWARD_ID_RE.fullmatch(r.reward_id) for r in rewards)
    assert len({r.reward_id for r in rewards}) == len(rewards)
    assert {r.kind for r in rewards} == {"coupon", "gift"}
    on_offer = [r for r in rewards if reward_on_offer(r.valid_until, TODAY)]
    assert len(on_offer) == len(rewards) - 1  # one offer has just ended
    assert any(r.stock == 0 for r in on_offer)
    assert any(r.stock is None for r in on_offer)
    balances = []
    for customer in build_dataset(TODAY).customers[:4]:
        lines = [
            LedgerLine(EntryKind(e.kind), e.points, e.at, e.expires_on)
            for e in customer.ledger
        ]
        balances.append(summarize_points(lines, TODAY, 30).balance)
    in_stock = [r for r in on_offer if r.stock != 0]
    # Something a demo customer can afford, and something none of them can.
    assert any(r.points <= max(balances) for r in in_stock)
    assert any(r.points > max(balances) for r in in_stock)
