"""Membership beyond the balance: tier benefits, rewards on offer, points of an order.

Everything shown comes from the CRM (``GET /v1/customers/{id}/membership``,
``/v1/tiers``, ``/rewards``, ``/orders/{number}/points``): tier names, their
benefits and the rewards are the CRM's data, the responses only word them.
Redeeming a reward is its own form (``actions/redemption.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.errors import NotFound
from actions.clients.payloads import Benefit, Membership, Reward, TierInfo
from actions.common import crm_client
from actions.contract import ShopperAction, ShopperFormValidation
from actions.satisfaction import AsksForRating

#: Rewards offered as buttons at most (WeChat shows them as a numbered menu).
MAX_REWARD_BUTTONS = 6
#: Rewards the shopper cannot afford yet, shown as something to save up for.
MAX_LATER_REWARDS = 3


def benefit_lines(benefits: Sequence[Benefit]) -> str:
    """One line per benefit: its title and, when there is one, its detail."""
    return "\n".join(
        f"· {benefit['title']}：{benefit['detail']}"
        if benefit.get("detail")
        else f"· {benefit['title']}"
        for benefit in benefits
    )


def reward_lines(rewards: Sequence[Reward]) -> str:
    """One line per reward: its name and its price in points."""
    return "\n".join(
        f"· {reward['name']}（{reward['points']} 积分）" for reward in rewards
    )


def redeemable(rewards: Sequence[Reward]) -> list[Reward]:
    """The rewards the shopper can redeem now: affordable and in stock."""
    return [r for r in rewards if r["affordable"] and r["stock"] != 0]


def cheapest_in_stock(rewards: Sequence[Reward]) -> Reward | None:
    """The in-stock reward needing the fewest points, if any."""
    in_stock = [r for r in rewards if r["stock"] != 0]
    return min(in_stock, key=lambda r: r["points"]) if in_stock else None


def reward_buttons(rewards: Sequence[Reward], intent: str) -> list[dict[str, str]]:
    """Buttons that pick a reward (its id as the ``reward`` entity).

    Args:
        rewards: The rewards to offer (the first ``MAX_REWARD_BUTTONS``).
        intent: The intent the payload carries (``redeem_points`` starts the
            redemption form, ``inform`` answers its question).
    """
    return [
        {
            "title": f"{reward['name']}（{reward['points']}积分）",
            "payload": f'/{intent}{{"reward": "{reward["reward_id"]}"}}',
        }
        for reward in rewards[:MAX_REWARD_BUTTONS]
    ]


def tell_none_affordable(
    dispatcher: CollectingDispatcher, balance: int, rewards: Sequence[Reward]
) -> None:
    """Say the balance buys nothing yet, and what comes first within reach.

    Args:
        dispatcher: Where replies go.
        balance: The shopper's points.
        rewards: Every reward on offer.
    """
    cheapest = cheapest_in_stock(rewards)
    if cheapest is None:
        dispatcher.utter_message(response="utter_no_rewards")
        return
    dispatcher.utter_message(
        response="utter_rewards_none_affordable",
        balance=balance,
        name=cheapest["name"],
        points=cheapest["points"],
        missing=max(cheapest["points"] - balance, 0),
    )


def asked_tier(value: Any, tiers: Sequence[TierInfo]) -> TierInfo | None:
    """The tier the shopper asked about: the highest one they named.

    Args:
        value: The ``tier`` slot: a tier code, or several (普通会员怎么升银卡).
        tiers: The CRM's tiers, lowest first.

    Returns:
        The named tier the CRM knows that ranks highest, or ``None``.
    """
    named = {value} if isinstance(value, str) else set(value or ())
    known = [tier for tier in tiers if tier["tier"] in named]
    return known[-1] if known else None


class ValidateBenefitsForm(ShopperFormValidation):
    """Benefits form: only identity is needed."""

    def name(self) -> str:
        """Name of the action."""
        return "validate_benefits_form"


class ActionShowBenefits(AsksForRating, ShopperAction):
    """What the shopper's tier gives and what the next one adds (or a named one)."""

    flow_slots = ("tier",)

    def name(self) -> str:
        """Name of the action."""
        return "action_show_benefits"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """Answer from the CRM's membership (and its tiers, for a named tier)."""
        crm = crm_client()
        membership = await crm.membership(customer_id)
        asked = tracker.get_slot("tier")
        if asked and asked != membership["current"]["tier"]:
            named = asked_tier(asked, await crm.tiers())
            if named is not None and named["tier"] != membership["current"]["tier"]:
                self._tell_named_tier(dispatcher, membership, named)
                return "benefits_shown"
        self._tell_own_tier(dispatcher, membership)
        return "benefits_shown"

    @staticmethod
    def _tell_own_tier(
        dispatcher: CollectingDispatcher, membership: Membership
    ) -> None:
        current = membership["current"]
        if current["benefits"]:
            dispatcher.utter_message(
                response="utter_tier_benefits",
                tier=current["name"],
                benefits=benefit_lines(current["benefits"]),
            )
        else:
            dispatcher.utter_message(
                response="utter_tier_no_benefits", tier=current["name"]
            )
        upcoming = membership["next"]
        if upcoming is None:
            dispatcher.utter_message(response="utter_benefits_top_tier")
        elif membership["next_adds"]:
            dispatcher.utter_message(
                response="utter_next_tier_adds",
                next_tier=upcoming["name"],
                missing=membership["points_to_next"],
                benefits=benefit_lines(membership["next_adds"]),
            )
        else:
            dispatcher.utter_message(
                response="utter_next_tier_progress",
                next_tier=upcoming["name"],
                missing=membership["points_to_next"],
            )

    @staticmethod
    def _tell_named_tier(
        dispatcher: CollectingDispatcher, membership: Membership, named: TierInfo
    ) -> None:
        dispatcher.utter_message(
            response="utter_named_tier_benefits",
            tier=named["name"],
            threshold=named["threshold"],
            benefits=benefit_lines(named["benefits"]),
        )
        missing = named["threshold"] - membership["growth_value"]
        if missing > 0:
            dispatcher.utter_message(
                response="utter_named_tier_reach",
                current=membership["current"]["name"],
                tier=named["name"],
                missing=missing,
            )
        else:
            dispatcher.utter_message(
                response="utter_named_tier_reached",
                current=membership["current"]["name"],
            )


class ValidatePointsRewardsForm(ShopperFormValidation):
    """Rewards form: only identity is needed."""

    def name(self) -> str:
        """Name of the action."""
        return "validate_points_rewards_form"


class ActionShowRewards(AsksForRating, ShopperAction):
    """What the shopper's points buy now, as buttons that start a redemption."""

    asks_shopper = frozenset({"utter_rewards_affordable"})

    def name(self) -> str:
        """Name of the action."""
        return "action_show_rewards"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """List the affordable rewards, then a few worth saving up for."""
        listing = await crm_client().rewards_for(customer_id)
        rewards, balance = listing["rewards"], listing["balance"]
        choices = redeemable(rewards)
        if not choices:
            tell_none_affordable(dispatcher, balance, rewards)
            return "rewards_listed"
        dispatcher.utter_message(
            response="utter_rewards_affordable",
            balance=balance,
            rewards=reward_lines(choices),
            buttons=reward_buttons(choices, "redeem_points"),
        )
        later = sorted(
            (r for r in rewards if not r["affordable"] and r["stock"] != 0),
            key=lambda r: r["points"],
        )[:MAX_LATER_REWARDS]
        if later:
            dispatcher.utter_message(
                response="utter_rewards_later", rewards=reward_lines(later)
            )
        return "rewards_listed"


class ValidateOrderPointsForm(ShopperFormValidation):
    """Points-of-an-order form: identity, then which order."""

    flow_slots = ("order_id",)

    def name(self) -> str:
        """Name of the action."""
        return "validate_order_points_form"


class ActionShowOrderPoints(AsksForRating, ShopperAction):
    """The points an order earned, will earn and spent, from the CRM's ledger."""

    flow_slots = ("order_id",)

    def name(self) -> str:
        """Name of the action."""
        return "action_show_order_points"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """Report earned, pending and spent points of the chosen order."""
        order_id = tracker.get_slot("order_id")
        if not order_id:
            return None
        try:
            points = await crm_client().order_points(customer_id, order_id)
        except NotFound:
            dispatcher.utter_message(
                response="utter_order_not_found", order_id=order_id
            )
            return None
        if not (points["earned"] or points["pending"] or points["spent"]):
            dispatcher.utter_message(
                response="utter_order_points_none", order_id=order_id
            )
            return "order_points_shown"
        dispatcher.utter_message(
            response="utter_order_points",
            order_id=order_id,
            earned=points["earned"],
            pending=points["pending"],
            spent=abs(points["spent"]),
        )
        if points["pending"]:
            dispatcher.utter_message(response="utter_order_points_pending_note")
        return "order_points_shown"
