"""Membership against the real CRM: benefits, rewards, redemption, points of an order.

Demo shoppers (seeded): 王芳 C100001 金卡 8799 points (bound to the
``known_shopper`` fixture's WeChat identity), 李强 C100002 钻石, 张伟 C100003
银卡 1700 points, 刘洋 C100004 普通会员 380 points. What the answers must say
is read from the CRM in each test, never copied from the seed.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import crm_client, flow_done
from actions.membership import (
    ActionShowBenefits,
    ActionShowOrderPoints,
    ActionShowRewards,
)
from actions.redemption import (
    REDEEM_SLOTS,
    ActionAskRedeemConfirmed,
    ActionAskReward,
    ActionRedeemPoints,
    ValidateRedeemPointsForm,
)
from tests.support.trackers import (
    load_tracker,
    message_kwargs,
    resolved,
    responses,
    slot_changes,
)

DOMAIN = {
    "forms": {"redeem_points_form": {"required_slots": list(REDEEM_SLOTS)}},
    "slots": {},
}
ZHANG = ("13700001111", "XK202411110012")
LIU = ("13600002222", "XK202411110015")
REDEEMED = resolved("points_redeemed", *REDEEM_SLOTS)


def asking(tracker: Tracker, intent: str, requested: str | None = None) -> Tracker:
    """The tracker with the shopper's latest message classified as ``intent``."""
    tracker.latest_message["intent"] = {"name": intent, "confidence": 0.95}
    tracker.slots["requested_slot"] = requested
    return tracker


async def shopper(
    who: tuple[str, str], text: str | None = None, **slots: Any
) -> Tracker:
    """A web shopper bound (through the CRM) to the demo customer ``who``."""
    customer = await crm_client().bind_identity("web", "visitor-7f3a", *who)
    return load_tracker(
        "unknown_shopper", text=text, customer_id=customer["customer_id"], **slots
    )


def titles(benefits: list[dict[str, Any]]) -> list[str]:
    return [benefit["title"] for benefit in benefits]


def lines_of(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("· ")]


async def validate(tracker: Tracker) -> tuple[CollectingDispatcher, list]:
    dispatcher = CollectingDispatcher()
    events = await ValidateRedeemPointsForm().run(dispatcher, tracker, DOMAIN)
    return dispatcher, events


# --- benefits ------------------------------------------------------------------


async def test_benefits_of_the_shoppers_tier_and_what_the_next_adds(services):
    membership = await crm_client().membership("C100001")
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper", text="我有什么权益")
    events = await ActionShowBenefits().run(dispatcher, tracker, {})
    assert events == resolved("benefits_shown", "tier")
    assert responses(dispatcher) == [
        "utter_tier_benefits",
        "utter_next_tier_adds",
        "utter_ask_satisfaction",
    ]
    own = message_kwargs(dispatcher, "utter_tier_benefits")
    assert own["tier"] == membership["current"]["name"] == "金卡会员"
    assert len(lines_of(own["benefits"])) == len(membership["current"]["benefits"])
    for title in titles(membership["current"]["benefits"]):
        assert title in own["benefits"]
    upcoming = message_kwargs(dispatcher, "utter_next_tier_adds")
    assert membership["next"] is not None
    assert upcoming["next_tier"] == membership["next"]["name"]
    assert upcoming["missing"] == membership["points_to_next"] > 0
    assert len(lines_of(upcoming["benefits"])) == len(membership["next_adds"]) > 0
    for title in titles(membership["next_adds"]):
        assert title in upcoming["benefits"]


async def test_a_named_higher_tier_shows_its_benefits_and_the_distance(services):
    tracker = await shopper(ZHANG, text="钻石会员有啥好处", tier="diamond")
    membership = await crm_client().membership("C100003")
    (diamond,) = [t for t in await crm_client().tiers() if t["tier"] == "diamond"]
    dispatcher = CollectingDispatcher()
    events = await ActionShowBenefits().run(dispatcher, tracker, {})
    assert events == resolved("benefits_shown", "tier")
    assert responses(dispatcher)[:2] == [
        "utter_named_tier_benefits",
        "utter_named_tier_reach",
    ]
    named = message_kwargs(dispatcher, "utter_named_tier_benefits")
    assert named["tier"] == diamond["name"]
    assert named["threshold"] == diamond["threshold"]
    assert len(lines_of(named["benefits"])) == len(diamond["benefits"])
    reach = message_kwargs(dispatcher, "utter_named_tier_reach")
    assert reach["current"] == membership["current"]["name"] == "银卡会员"
    assert reach["missing"] == diamond["threshold"] - membership["growth_value"]


async def test_naming_the_shoppers_own_tier_is_the_own_tier_answer(services):
    tracker = load_tracker("known_shopper", text="金卡有什么特权", tier="gold")
    dispatcher = CollectingDispatcher()
    await ActionShowBenefits().run(dispatcher, tracker, {})
    assert responses(dispatcher)[:2] == ["utter_tier_benefits", "utter_next_tier_adds"]


async def test_the_top_tier_has_nothing_next(services):
    tracker = load_tracker("known_shopper", text="我有什么权益")
    tracker.sender_id = "wechat:demo-openid-002"  # 李强, 钻石会员
    tracker.slots["customer_id"] = "C100002"
    dispatcher = CollectingDispatcher()
    await ActionShowBenefits().run(dispatcher, tracker, {})
    assert responses(dispatcher)[:2] == [
        "utter_tier_benefits",
        "utter_benefits_top_tier",
    ]
    assert message_kwargs(dispatcher, "utter_tier_benefits")["tier"] == "钻石会员"


async def test_benefits_with_the_crm_down_get_an_apology(services_down):
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper", text="我有什么权益", tier="gold")
    events = await ActionShowBenefits().run(dispatcher, tracker, {})
    assert events == flow_done("tier")
    assert responses(dispatcher) == ["utter_backend_unavailable"]


# --- rewards -------------------------------------------------------------------


async def test_rewards_lists_what_the_shopper_can_afford_as_buttons(services):
    listing = await crm_client().rewards_for("C100001")
    affordable = [r for r in listing["rewards"] if r["affordable"] and r["stock"] != 0]
    assert affordable and len(affordable) < len(listing["rewards"])
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper", text="积分能换什么")
    events = await ActionShowRewards().run(dispatcher, tracker, {})
    assert events == resolved("rewards_listed")
    # The list asks the shopper to choose: no rating question on top of it.
    assert responses(dispatcher) == ["utter_rewards_affordable", "utter_rewards_later"]
    offered = message_kwargs(dispatcher, "utter_rewards_affordable")
    assert offered["balance"] == listing["balance"] == 8799
    assert [line.split("（")[0][2:] for line in lines_of(offered["rewards"])] == [
        r["name"] for r in affordable
    ]
    assert [b["payload"] for b in offered["buttons"]] == [
        f'/redeem_points{{"reward": "{r["reward_id"]}"}}' for r in affordable
    ]
    out_of_stock = [r["name"] for r in listing["rewards"] if r["stock"] == 0]
    assert out_of_stock
    for name in out_of_stock:
        assert name not in offered["rewards"]
    later = message_kwargs(dispatcher, "utter_rewards_later")["rewards"]
    assert "满1000减100券" in later


async def test_rewards_when_nothing_is_affordable_say_what_comes_first(services):
    tracker = await shopper(LIU, text="积分能换什么")
    dispatcher = CollectingDispatcher()
    await ActionShowRewards().run(dispatcher, tracker, {})
    assert responses(dispatcher) == [
        "utter_rewards_none_affordable",
        "utter_ask_satisfaction",
    ]
    told = message_kwargs(dispatcher, "utter_rewards_none_affordable")
    listing = await crm_client().rewards_for("C100004")
    cheapest = min(
        (r for r in listing["rewards"] if r["stock"] != 0), key=lambda r: r["points"]
    )
    assert told["balance"] == listing["balance"] == 380
    assert told["name"] == cheapest["name"]
    assert told["missing"] == cheapest["points"] - 380


# --- the redemption form ---------------------------------------------------------


async def test_a_reward_named_in_words_is_resolved_and_confirmation_asked(services):
    tracker = asking(
        load_tracker("known_shopper", text="用积分换20元券"), "redeem_points"
    )
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "reward": "cpn-20",
        "requested_slot": "redeem_confirmed",
    }
    assert responses(dispatcher) == []


async def test_a_reward_named_before_verifying_is_resolved_once_verified(services):
    tracker = asking(
        load_tracker("unknown_shopper", text="我要兑换20元券"), "redeem_points"
    )
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "reward": "我要兑换20元券",
        "requested_slot": "phone",
    }
    tracker = load_tracker(
        "unknown_shopper",
        text="XK202411110001",
        phone="13800138000",
        order_id="XK202411110001",
    )
    tracker.slots["reward"] = "我要兑换20元券"  # from the first message
    dispatcher, events = await validate(asking(tracker, "inform", "order_id"))
    changes = slot_changes(events)
    assert changes["customer_id"] == "C100001"
    assert changes["reward"] == "cpn-20"
    assert changes["requested_slot"] == "redeem_confirmed"
    assert responses(dispatcher) == ["utter_identity_verified"]


async def test_a_button_picks_the_reward(services):
    tracker = load_tracker(
        "known_shopper", text='/inform{"reward": "gift-cable"}', reward="gift-cable"
    )
    tracker.latest_message["entities"] = [{"entity": "reward", "value": "gift-cable"}]
    _, events = await validate(asking(tracker, "inform", "reward"))
    assert slot_changes(events) == {
        "reward": "gift-cable",
        "requested_slot": "redeem_confirmed",
    }


async def test_an_out_of_stock_reward_is_explained_and_another_asked(services):
    tracker = asking(
        load_tracker("known_shopper", text="我要换帆布托特包"), "redeem_points"
    )
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "reward": None,
        "requested_slot": "reward",
    }
    assert responses(dispatcher) == ["utter_reward_out_of_stock"]
    assert message_kwargs(dispatcher, "utter_reward_out_of_stock")["name"] == (
        "小客帆布托特包"
    )


async def test_a_reward_too_dear_is_explained_and_an_affordable_one_asked(services):
    tracker = asking(
        load_tracker("known_shopper", text="用积分换满1000减100券"), "redeem_points"
    )
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "reward": None,
        "requested_slot": "reward",
    }
    assert responses(dispatcher) == ["utter_points_insufficient"]
    told = message_kwargs(dispatcher, "utter_points_insufficient")
    assert (told["needed"], told["balance"], told["missing"]) == (10000, 8799, 1201)


async def test_insufficient_points_for_everything_end_the_form(services):
    tracker = asking(await shopper(LIU, text="用积分换20元券"), "redeem_points")
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "customer_id": "C100004",
        "reward": None,
        "flow_stop": "nothing_affordable",
        "requested_slot": None,
    }
    assert responses(dispatcher) == ["utter_points_insufficient"]
    told = message_kwargs(dispatcher, "utter_points_insufficient")
    assert (told["needed"], told["balance"], told["missing"]) == (2000, 380, 1620)
    # The final action then ends quietly: nothing redeemed, nothing asked.
    tracker.slots.update(slot_changes(events))
    final = CollectingDispatcher()
    assert await ActionRedeemPoints().run(final, tracker, {}) == flow_done(
        *REDEEM_SLOTS
    )
    assert responses(final) == []


async def test_asking_to_redeem_with_nothing_affordable_says_what_comes_first(
    services,
):
    tracker = asking(await shopper(LIU, text="我要兑换礼品"), "redeem_points")
    dispatcher, events = await validate(tracker)
    assert slot_changes(events)["flow_stop"] == "nothing_affordable"
    assert responses(dispatcher) == ["utter_rewards_none_affordable"]


async def test_an_unknown_reward_is_said_so(services):
    tracker = asking(
        load_tracker("known_shopper", text="积分换个扫地机器人"), "redeem_points"
    )
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "reward": None,
        "requested_slot": "reward",
    }
    assert responses(dispatcher) == ["utter_reward_not_found"]


async def test_the_reward_question_offers_only_what_can_be_redeemed(services):
    dispatcher = CollectingDispatcher()
    assert (
        await ActionAskReward().run(dispatcher, load_tracker("known_shopper"), {}) == []
    )
    asked = message_kwargs(dispatcher, "utter_ask_reward")
    assert asked["balance"] == 8799
    payloads = [button["payload"] for button in asked["buttons"]]
    assert '/inform{"reward": "cpn-20"}' in payloads
    assert all("gift-tote" not in p and "gift-air2" not in p for p in payloads)


async def test_the_confirmation_says_the_price_and_what_is_left(services):
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper", reward="cpn-20")
    assert await ActionAskRedeemConfirmed().run(dispatcher, tracker, {}) == []
    asked = message_kwargs(dispatcher, "utter_ask_redeem_confirmed")
    assert (asked["name"], asked["points"], asked["balance_after"]) == (
        "20元无门槛券",
        2000,
        6799,
    )


async def test_a_yes_in_words_confirms_whatever_the_nlu_made_of_it(services):
    tracker = load_tracker("known_shopper", text="确认兑换")
    tracker.slots["reward"] = "cpn-20"
    dispatcher, events = await validate(
        asking(tracker, "ask_points_rewards", "redeem_confirmed")
    )
    assert slot_changes(events) == {
        "redeem_confirmed": True,
        "requested_slot": None,
    }
    assert responses(dispatcher) == []


async def test_another_reward_named_while_confirming_is_confirmed_anew(services):
    tracker = load_tracker("known_shopper", text="还是换5元的吧")
    tracker.slots["reward"] = "cpn-20"
    dispatcher, events = await validate(
        asking(tracker, "redeem_points", "redeem_confirmed")
    )
    assert slot_changes(events) == {
        "reward": "cpn-5",
        "requested_slot": "redeem_confirmed",
    }
    assert responses(dispatcher) == []  # action_ask_redeem_confirmed asks anew


# --- redeeming ------------------------------------------------------------------


def confirmed(reward: str, tracker: Tracker | None = None) -> Tracker:
    tracker = tracker or load_tracker("known_shopper", text="确认")
    tracker.slots.update({"reward": reward, "redeem_confirmed": True})
    return asking(tracker, "affirm")


async def spends(customer_id: str, name: str) -> list[dict[str, Any]]:
    """The customer's ledger entries for redeeming ``name``."""
    entries = await crm_client().ledger(customer_id, 100)
    return [e for e in entries if e["kind"] == "spend" and name in e["description"]]


async def test_the_same_confirming_turn_redeems_once(services):
    tracker = confirmed("cpn-20")
    first, second = CollectingDispatcher(), CollectingDispatcher()
    assert await ActionRedeemPoints().run(first, tracker, {}) == REDEEMED
    assert await ActionRedeemPoints().run(second, tracker, {}) == REDEEMED
    assert responses(first) == ["utter_points_redeemed", "utter_ask_satisfaction"]
    done = message_kwargs(first, "utter_points_redeemed")
    assert (
        done["code"]
        and done["code"] == message_kwargs(second, "utter_points_redeemed")["code"]
    )
    assert (done["name"], done["points"], done["balance"]) == (
        "20元无门槛券",
        2000,
        6799,
    )
    assert done["expires"].endswith("日")
    assert len(await spends("C100001", "20元无门槛券")) == 1
    assert (await crm_client().rewards_for("C100001"))["balance"] == 6799


async def test_another_confirming_turn_is_another_redemption(services):
    tracker = confirmed("cpn-5")
    first = CollectingDispatcher()
    await ActionRedeemPoints().run(first, tracker, {})
    tracker.events.append(
        {"event": "user", "text": "再换一张", "timestamp": 1732068099.0}
    )
    second = CollectingDispatcher()
    await ActionRedeemPoints().run(second, tracker, {})
    codes = {
        message_kwargs(d, "utter_points_redeemed")["code"] for d in (first, second)
    }
    assert len(codes) == 2
    assert len(await spends("C100001", "5元无门槛券")) == 2


async def test_insufficient_points_at_redemption_are_explained(services):
    tracker = confirmed("cpn-20", await shopper(LIU, text="确认"))
    dispatcher = CollectingDispatcher()
    events = await ActionRedeemPoints().run(dispatcher, tracker, {})
    assert events == flow_done(*REDEEM_SLOTS)
    assert responses(dispatcher) == ["utter_redeem_refused_insufficient_points"]
    told = message_kwargs(dispatcher, "utter_redeem_refused_insufficient_points")
    assert (told["needed"], told["balance"]) == (2000, 380)
    assert await spends("C100004", "20元无门槛券") == []


async def test_an_expired_reward_is_explained(services):
    dispatcher = CollectingDispatcher()
    await ActionRedeemPoints().run(dispatcher, confirmed("cpn-double11"), {})
    assert responses(dispatcher) == ["utter_redeem_refused_reward_expired"]


async def test_an_out_of_stock_reward_is_refused_at_redemption(services):
    dispatcher = CollectingDispatcher()
    await ActionRedeemPoints().run(dispatcher, confirmed("gift-tote"), {})
    assert responses(dispatcher) == ["utter_redeem_refused_reward_out_of_stock"]


async def test_an_unconfirmed_redemption_redeems_nothing(services):
    tracker = load_tracker("known_shopper", text="取消", reward="cpn-20")
    dispatcher = CollectingDispatcher()
    events = await ActionRedeemPoints().run(dispatcher, tracker, {})
    assert events == flow_done(*REDEEM_SLOTS)
    assert responses(dispatcher) == ["utter_flow_stopped"]
    assert await spends("C100001", "20元无门槛券") == []


async def test_redemption_with_the_crm_down_gets_an_apology(services_down):
    dispatcher = CollectingDispatcher()
    events = await ActionRedeemPoints().run(dispatcher, confirmed("cpn-20"), {})
    assert events == flow_done(*REDEEM_SLOTS)
    assert responses(dispatcher) == ["utter_backend_unavailable"]


async def test_choosing_with_the_crm_down_gets_an_apology(services_down):
    tracker = asking(
        load_tracker("known_shopper", text="用积分换20元券"), "redeem_points"
    )
    dispatcher, events = await validate(tracker)
    assert SlotSet("flow_stop", "backend_unavailable") in events
    assert responses(dispatcher) == ["utter_backend_unavailable"]


# --- points of an order ------------------------------------------------------------


async def test_points_of_an_order_come_from_the_ledger(services):
    expected = await crm_client().order_points("C100001", "XK202411110005")
    assert expected["earned"] > 0
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper", order_id="XK202411110005")
    events = await ActionShowOrderPoints().run(dispatcher, tracker, {})
    assert events == resolved("order_points_shown", "order_id")
    told = message_kwargs(dispatcher, "utter_order_points")
    assert told["order_id"] == "XK202411110005"
    assert (told["earned"], told["pending"], told["spent"]) == (
        expected["earned"],
        expected["pending"],
        abs(expected["spent"]),
    )


async def test_someone_elses_order_has_no_points_to_show(services):
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper", order_id="XK202411110009")  # 李强's
    events = await ActionShowOrderPoints().run(dispatcher, tracker, {})
    assert events == flow_done("order_id")
    assert responses(dispatcher) == ["utter_order_not_found"]
