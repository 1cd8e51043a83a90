"""Points redemption: pick a reward the shopper can afford, confirm, redeem once.

The form (``redeem_points_form``) is identity first, then ``reward`` (what the
shopper named, resolved against the CRM's rewards, or a button) and
``redeem_confirmed``. A reward the shopper cannot afford, or that is out of
stock, is explained before anything is confirmed; when nothing is affordable
the form ends there. The redemption itself is a write with an idempotency key
tied to the confirming turn (as returns do), so a retried or duplicated
confirming turn gives one ledger entry and the same coupon code.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.errors import BackendError, NotFound, Rejected
from actions.clients.payloads import Reward, RewardList
from actions.common import (
    BACKEND_DOWN,
    FLOW_STOP,
    apologise_for_backend,
    chinese_date,
    crm_client,
    latest_text,
)
from actions.contract import ShopperAction, ShopperFormValidation
from actions.membership import redeemable, reward_buttons, tell_none_affordable
from actions.satisfaction import AsksForRating

REDEEM_SLOTS = ("reward", "redeem_confirmed")
#: Why the form ended without a redemption (``flow_stop``).
NOTHING_AFFORDABLE = "nothing_affordable"
#: The CRM's refusals of a redemption → their explanation.
REFUSALS = {
    "insufficient_points": "utter_redeem_refused_insufficient_points",
    "reward_expired": "utter_redeem_refused_reward_expired",
    "reward_out_of_stock": "utter_redeem_refused_reward_out_of_stock",
}
# Words that ask for a redemption without naming a reward (我要用积分换个东西).
_FILLER = re.compile(
    r"我要|我想|想要|帮我|幫我|给我|麻烦|那就|用积分|用積分|积分|積分|兑换|兌換|对换"
    r"|兑|兌|换成|换|換|一下|一张|一个|东西|東西|礼品|禮品|礼物|奖品|优惠券|优惠卷"
    r"|什么|啥|那|这|就|点|些|个|张|券|卷|吧|呀|啊|哦|了|的|redeem|points|coupon|gift"
    r"|[\s,.!?，。！？～~]"
)
_NUMBER = re.compile(r"\d+")


def _plain(text: str) -> str:
    """Half-width, lower case, 块/圆 read as 元 (20块的券 ≈ 20元券)."""
    text = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"块钱|块|圆", "元", text)


def _core(said: str) -> str:
    """What is left of the shopper's words once the asking is taken away."""
    return _FILLER.sub("", _plain(said))


def _by_number(rewards: Sequence[Reward], numbers: set[str]) -> list[Reward]:
    """Rewards whose amounts are the numbers said, else whose price they are."""
    by_amount = [
        r for r in rewards if numbers <= set(_NUMBER.findall(_plain(r["name"])))
    ]
    return by_amount or [r for r in rewards if str(r["points"]) in numbers]


def _shared(words: str, name: str) -> int:
    """How many different characters ``words`` and a reward's name share."""
    return len(set(words) & set(_plain(name)))


def match_reward(rewards: Sequence[Reward], said: str) -> Reward | None:
    """Find the reward the shopper means: its id (a button), name or part of it.

    Numbers must agree (20元券 is not the 200元 one); a number that is no
    reward's amount may be its price in points (用1500积分换个东西). Words are
    compared by the characters they share with each name (耳机 → 蓝牙耳机,
    托特包 → 帆布托特包), and only a single best reward counts.

    Args:
        rewards: The rewards on offer.
        said: A reward id or the shopper's words.

    Returns:
        The reward meant, or ``None`` when nothing or several fit.
    """
    plain = _plain(said).strip()
    for reward in rewards:
        if reward["reward_id"].lower() == plain:
            return reward
    named = [r for r in rewards if _plain(r["name"]) in plain]
    if named:
        return max(named, key=lambda r: len(r["name"]))
    core = _core(said)
    if not core:
        return None
    candidates = list(rewards)
    numbers = set(_NUMBER.findall(core))
    if numbers:
        candidates = _by_number(rewards, numbers)
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
    words = _NUMBER.sub("", core)
    scores = sorted(
        ((_shared(words, r["name"]), r) for r in candidates),
        key=lambda scored: scored[0],
        reverse=True,
    )
    best = scores[0][0] if scores else 0
    if best == 0 or best < min(2, len(set(words))):
        return None
    if len(scores) > 1 and scores[1][0] == best:
        return None
    return scores[0][1]


def is_unknown_reward(rewards: Sequence[Reward], said: str) -> bool:
    """Whether the shopper named something that is no reward on offer.

    用积分换东西 names nothing and 满减券 fits two rewards; 扫地机器人 and
    200元券 fit none.
    """
    core = _core(said)
    if len(core) < 2:
        return False
    numbers = set(_NUMBER.findall(core))
    if numbers and not _by_number(rewards, numbers):
        return True
    words = _NUMBER.sub("", core)
    if not words:
        return False
    best = max((_shared(words, r["name"]) for r in rewards), default=0)
    return best < min(2, len(set(words)))


_YES = re.compile(r"确认|确定|没问题|可以|好的|好|行|对|是的|嗯|ok|yes")
_NO = re.compile(r"不|别|算了|取消|再想想|等等|no")


def is_plain_yes(said: str) -> bool:
    """Whether the words only say yes to the redemption (确认兑换, 对，就换这个)."""
    plain = _plain(said)
    return bool(_YES.search(plain) or _core(said) == "") and not (
        _NO.search(plain) or _YES.sub("", _core(said))
    )


def idempotency_key(tracker: Tracker) -> str:
    """One key per confirmed redemption: the same turn gives the same key.

    Built from the conversation, the customer, the reward and the time of the
    shopper's confirming message, so a retried action (or a retried webhook
    delivering the same turn) cannot redeem twice.
    """
    user_turns = [e for e in tracker.events if e.get("event") == "user"]
    turn = user_turns[-1].get("timestamp") if user_turns else ""
    parts = [
        tracker.sender_id,
        str(tracker.get_slot("customer_id")),
        str(tracker.get_slot("reward")),
        str(turn),
    ]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()
    return f"xiaoke-{digest[:32]}"


class ValidateRedeemPointsForm(ShopperFormValidation):
    """Redemption form: identity, the reward (affordable, in stock), confirm."""

    flow_slots = REDEEM_SLOTS

    def name(self) -> str:
        """Name of the action."""
        return "validate_redeem_points_form"

    async def extract_reward(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """What the shopper asked for in words (a button fills ``reward`` itself).

        The opening 用积分换20元券, an answer to "which one?", or another
        reward named while confirming (还是换50元的吧) is kept as said; the
        validation resolves it once the shopper is known. A plain yes while
        confirming (确认兑换) names no reward.
        """
        if list(tracker.get_latest_entity_values("reward")):
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        requested = tracker.get_slot("requested_slot")
        text = latest_text(tracker).strip()
        if not text or text.startswith("/"):
            return {}
        if requested == "redeem_confirmed" and is_plain_yes(text):
            return {}
        if intent == "redeem_points" or (intent == "inform" and requested == "reward"):
            return {"reward": text}
        return {}

    async def extract_redeem_confirmed(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A yes in the shop's words (确认兑换, 就换这个) confirms, whatever the intent.

        The NLU may read 确认兑换 as asking about rewards again; while the
        confirmation is asked it is a yes. ``affirm`` is the slot's own
        mapping, and a no (``deny``, 不换了) is left to the stop rule.
        """
        if tracker.get_slot("requested_slot") != "redeem_confirmed":
            return {}
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in {"affirm", "deny"} or not is_plain_yes(latest_text(tracker)):
            return {}
        return {"redeem_confirmed": True}

    async def validate_reward(
        self,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Keep what was said; it is resolved against the CRM's rewards after."""
        said = str(value).strip() if value is not None else ""
        return {"reward": said or None}

    async def get_validation_events(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[EventType]:
        """Validate slot by slot, then resolve the reward once the shopper is known.

        The reward often comes first (用积分换20元券 before the shopper is
        verified), so it is resolved whenever it or the shopper changed; and
        while none is chosen the form checks that something is affordable at
        all, rather than asking to choose from nothing.
        """
        events = await super().get_validation_events(dispatcher, tracker, domain)
        customer_id = tracker.get_slot("customer_id")
        if tracker.get_slot(FLOW_STOP) or not customer_id:
            return events
        changed = {event["name"] for event in events}
        said = tracker.get_slot("reward")
        if said and not changed.intersection({"reward", "customer_id"}):
            return events  # chosen and checked before
        verdict = await self._choose(dispatcher, tracker, str(customer_id), said)
        if (
            verdict.get("reward") == tracker.get_slot("reward")
            and "reward" not in changed
        ):
            verdict.pop("reward", None)
        slots = {event["name"]: event["value"] for event in events}
        slots.update(verdict)
        tracker.slots.update(verdict)
        return [SlotSet(slot, value) for slot, value in slots.items()]

    async def _choose(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        customer_id: str,
        said: str | None,
    ) -> dict[str, Any]:
        """The reward the shopper may redeem, or why not (explained)."""
        try:
            listing = await crm_client().rewards_for(customer_id)
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return {"reward": None, FLOW_STOP: BACKEND_DOWN}
        explained = False
        if said:
            reward = match_reward(listing["rewards"], said)
            if reward is None:
                if is_unknown_reward(listing["rewards"], said):
                    dispatcher.utter_message(response="utter_reward_not_found")
            elif reward["stock"] == 0:
                dispatcher.utter_message(
                    response="utter_reward_out_of_stock", name=reward["name"]
                )
            elif not reward["affordable"]:
                explain_shortfall(dispatcher, listing, reward)
                explained = True
            else:
                chosen: dict[str, Any] = {"reward": reward["reward_id"]}
                if tracker.get_slot("redeem_confirmed") is not None:
                    chosen["redeem_confirmed"] = None  # a new choice is confirmed anew
                return chosen
        if redeemable(listing["rewards"]):
            return {"reward": None}
        if not explained:
            tell_none_affordable(dispatcher, listing["balance"], listing["rewards"])
        return {"reward": None, FLOW_STOP: NOTHING_AFFORDABLE}


def explain_shortfall(
    dispatcher: CollectingDispatcher, listing: RewardList, reward: Reward
) -> None:
    """Tell the shopper how many points a reward needs and how many they lack."""
    dispatcher.utter_message(
        response="utter_points_insufficient",
        name=reward["name"],
        needed=reward["points"],
        balance=listing["balance"],
        missing=max(reward["points"] - listing["balance"], 0),
    )


class ActionAskReward(Action):
    """Ask which reward, with the ones the shopper can redeem now as buttons."""

    def name(self) -> str:
        """Name of the action."""
        return "action_ask_reward"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """List the affordable, in-stock rewards."""
        try:
            listing = await crm_client().rewards_for(tracker.get_slot("customer_id"))
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return [SlotSet(FLOW_STOP, BACKEND_DOWN)]
        dispatcher.utter_message(
            response="utter_ask_reward",
            balance=listing["balance"],
            buttons=reward_buttons(redeemable(listing["rewards"]), "inform"),
        )
        return []


class ActionAskRedeemConfirmed(Action):
    """Sum the redemption up and ask the shopper to confirm it."""

    def name(self) -> str:
        """Name of the action."""
        return "action_ask_redeem_confirmed"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Ask for confirmation with 确认兑换/取消 buttons."""
        reward_id = tracker.get_slot("reward")
        try:
            listing = await crm_client().rewards_for(tracker.get_slot("customer_id"))
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return [SlotSet(FLOW_STOP, BACKEND_DOWN)]
        reward = next(
            (r for r in listing["rewards"] if r["reward_id"] == reward_id), None
        )
        if reward is None:  # gone since it was chosen
            dispatcher.utter_message(response="utter_redeem_refused_reward_expired")
            return [SlotSet(FLOW_STOP, "reward_expired")]
        dispatcher.utter_message(
            response="utter_ask_redeem_confirmed",
            name=reward["name"],
            points=reward["points"],
            balance_after=listing["balance"] - reward["points"],
        )
        return []


class ActionRedeemPoints(AsksForRating, ShopperAction):
    """Redeem the confirmed reward (once per confirming turn) and give its code."""

    flow_slots = REDEEM_SLOTS

    def name(self) -> str:
        """Name of the action."""
        return "action_redeem_points"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """Redeem idempotently; explain a refusal in Chinese."""
        reward_id = tracker.get_slot("reward")
        if not tracker.get_slot("redeem_confirmed") or not reward_id:
            dispatcher.utter_message(response="utter_flow_stopped")
            return None
        try:
            redemption = await crm_client().redeem(
                customer_id, reward_id, idempotency_key(tracker)
            )
        except Rejected as rejection:
            explain_refusal(dispatcher, rejection)
            return None
        except NotFound:
            dispatcher.utter_message(response="utter_redeem_failed")
            return None
        dispatcher.utter_message(
            response="utter_points_redeemed",
            name=redemption["reward_name"],
            points=redemption["points"],
            balance=redemption["balance_after"],
            code=redemption["coupon_code"],
            expires=chinese_date(redemption["expires_on"]),
        )
        return "points_redeemed"


def explain_refusal(dispatcher: CollectingDispatcher, rejection: Rejected) -> None:
    """Say why the CRM refused a redemption (no points were spent).

    Args:
        dispatcher: Where replies go.
        rejection: The CRM's refusal; for ``insufficient_points`` its
            details say the balance now and the points needed.
    """
    response = REFUSALS.get(rejection.code)
    if response is None:
        dispatcher.utter_message(response="utter_redeem_failed")
    elif rejection.code == "insufficient_points":
        needed = int(rejection.details.get("needed") or 0)
        balance = int(rejection.details.get("balance") or 0)
        dispatcher.utter_message(response=response, needed=needed, balance=balance)
    else:
        dispatcher.utter_message(response=response)
