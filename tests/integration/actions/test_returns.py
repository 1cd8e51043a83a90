"""Returns against the real order service: eligibility, confirmation, one RMA."""

from rasa_sdk.executor import CollectingDispatcher

from actions.clients.http import close_session
from actions.common import flow_done, orders_client
from actions.returns import (
    PHOTO_SKIPPED,
    RETURN_SLOTS,
    ActionAskReturnConfirmed,
    ActionSubmitReturn,
    ValidateReturnForm,
    match_item,
)
from tests.support.trackers import (
    load_tracker,
    message_kwargs,
    resolved,
    responses,
    slot_changes,
)

DOMAIN = {
    "forms": {
        "return_form": {
            "required_slots": [
                "order_id",
                "item",
                "return_reason",
                "return_photo",
                "return_confirmed",
            ]
        }
    },
    "slots": {},
}
SUBMITTED = resolved("return_created", *RETURN_SLOTS, "refund_estimate")


async def validate(tracker):
    dispatcher = CollectingDispatcher()
    events = await ValidateReturnForm().run(dispatcher, tracker, DOMAIN)
    return dispatcher, events


async def test_eligible_reason_gives_a_refund_estimate_and_asks_to_confirm(services):
    tracker = load_tracker(
        "known_shopper",
        order_id="XK202411110004",
        item="EB-AIR2-WHT",
        return_reason="七天无理由",
    )
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "order_id": "XK202411110004",
        "item": "EB-AIR2-WHT",
        "return_reason": "七天无理由",
        "refund_estimate": "499.00",
        "requested_slot": "return_confirmed",
    }
    assert responses(dispatcher) == []


def reason_given_first(reason: str, text: str, chosen_order: str | None, **latest):
    """A known shopper whose reason came with an earlier message (耳机坏了想退).

    Args:
        reason: The reason the earlier message filled.
        text: The latest message.
        chosen_order: The order chosen before the latest message, if any.
        **latest: Slots the latest message filled.
    """
    tracker = load_tracker("known_shopper", text=text, **latest)
    tracker.slots["return_reason"] = reason
    if chosen_order:
        tracker.slots["order_id"] = chosen_order
    return tracker


async def test_reason_given_first_gets_its_refund_when_the_item_is_chosen(services):
    # 耳机坏了想退 → verified with …04 → asked which item → 耳机.
    tracker = reason_given_first("质量问题", "耳机", "XK202411110004", item="耳机")
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "item": "EB-AIR2-WHT",
        "refund_estimate": "499.00",
        "requested_slot": "return_photo",  # 质量问题: a photo first,
    }
    assert responses(dispatcher) == []
    asked = CollectingDispatcher()
    assert await ActionAskReturnConfirmed().run(asked, tracker, DOMAIN) == []
    assert message_kwargs(asked, "utter_ask_return_confirmed")["refund"] == "499.00"


async def test_reason_given_first_gets_its_refund_for_a_single_item_order(services):
    # The charger is the only line of …08: choosing the order chooses the item.
    tracker = reason_given_first(
        "质量问题", "XK202411110008", None, order_id="XK202411110008"
    )
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "order_id": "XK202411110008",
        "item": "AC-CHG-65W",
        "refund_estimate": "149.00",
        "requested_slot": "return_photo",  # 质量问题: a photo first,
    }
    assert responses(dispatcher) == []


async def test_reason_given_first_is_refused_when_the_item_is_chosen(services):
    # Custom goods cannot go back without a reason, whenever the reason came.
    tracker = reason_given_first(
        "七天无理由", "定制刻字手机壳", "XK202411110007", item="定制刻字手机壳"
    )
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "item": "CU-CASE-ENGR",
        "return_reason": None,
        "flow_stop": "return_refused",
        "requested_slot": None,
    }
    assert responses(dispatcher) == ["utter_return_refused_category_excluded"]


async def test_another_item_gets_its_own_refund_estimate(services):
    # The earbuds were estimated; the shopper picks the sunscreen instead.
    tracker = reason_given_first("质量问题", "防晒乳", "XK202411110004", item="防晒乳")
    tracker.slots["refund_estimate"] = "499.00"
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "item": "SK-SUN-50",
        "refund_estimate": "128.00",
        "requested_slot": "return_photo",  # 质量问题: a photo first,
    }
    assert responses(dispatcher) == []


async def test_custom_goods_are_refused_a_no_reason_return_in_plain_chinese(services):
    tracker = load_tracker(
        "known_shopper",
        order_id="XK202411110007",
        item="CU-CASE-ENGR",
        return_reason="七天无理由",
    )
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "order_id": "XK202411110007",
        "item": "CU-CASE-ENGR",
        "return_reason": None,
        "flow_stop": "return_refused",
        "requested_slot": None,
    }
    assert responses(dispatcher) == ["utter_return_refused_category_excluded"]


async def test_expired_window_says_until_when(services):
    tracker = load_tracker(
        "known_shopper",
        order_id="XK202411110005",
        item="PH-X1-256-BLK",
        return_reason="七天无理由",
    )
    dispatcher, _ = await validate(tracker)
    assert responses(dispatcher) == ["utter_return_refused_return_window_expired"]
    assert message_kwargs(dispatcher, "utter_return_refused_return_window_expired")[
        "deadline"
    ].endswith("日")


async def test_confirmed_return_is_created_once_even_if_submitted_twice(services):
    tracker = load_tracker(
        "known_shopper",
        text="确认",
        order_id="XK202411110004",
        item="EB-AIR2-WHT",
        return_reason="质量问题",
        return_confirmed=True,
    )
    first, second = CollectingDispatcher(), CollectingDispatcher()
    assert await ActionSubmitReturn().run(first, tracker, {}) == SUBMITTED
    assert await ActionSubmitReturn().run(second, tracker, {}) == SUBMITTED
    created = message_kwargs(first, "utter_return_created")
    assert created["rma"].startswith("RMA")
    assert message_kwargs(second, "utter_return_created")["rma"] == created["rma"]
    assert created["refund"] == "499.00"
    assert created["address"]
    returns = await orders_client().list_returns("C100001", limit=20)
    assert [r["rma_number"] for r in returns].count(created["rma"]) == 1
    assert sum(r["order_number"] == "XK202411110004" for r in returns) == 1
    await close_session()


async def test_unconfirmed_return_is_not_created(services):
    tracker = load_tracker(
        "known_shopper",
        order_id="XK202411110004",
        item="EB-AIR2-WHT",
        return_reason="质量问题",
        return_confirmed=None,
    )
    dispatcher = CollectingDispatcher()
    assert await ActionSubmitReturn().run(dispatcher, tracker, {}) == flow_done(
        *RETURN_SLOTS, "refund_estimate"
    )
    assert responses(dispatcher) == ["utter_flow_stopped"]
    returns = await orders_client().list_returns("C100001", limit=20)
    assert all(r["order_number"] != "XK202411110004" for r in returns)


def test_item_is_matched_by_sku_name_or_category():
    items = [
        {"sku": "EB-AIR2-WHT", "product_name": "小客 Air2 真无线蓝牙耳机 白色",
         "category": "audio"},
        {"sku": "SK-SUN-50", "product_name": "清透防晒乳 SPF50+ 50ml",
         "category": "skincare"},
    ]  # fmt: skip
    assert match_item(items, "EB-AIR2-WHT")["sku"] == "EB-AIR2-WHT"
    assert match_item(items, "耳机")["sku"] == "EB-AIR2-WHT"
    assert match_item(items, "防晒乳")["sku"] == "SK-SUN-50"
    assert match_item(items, "冰箱") is None


async def test_correcting_the_order_forgets_the_item_of_the_old_one(services):
    # The shopper chose the earbuds of …04, then says it was order …07 after all.
    tracker = load_tracker(
        "known_shopper", text="不对，是XK202411110007", order_id="XK202411110007"
    )
    tracker.slots["item"] = "EB-AIR2-WHT"
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "order_id": "XK202411110007",
        "item": None,
        "return_confirmed": None,
        "requested_slot": "item",
    }
    assert responses(dispatcher) == []


async def test_another_order_without_a_number_asks_for_the_order_again(services):
    # Asked for the item of …04, the shopper says it was another order.
    tracker = load_tracker(
        "known_shopper", text="不对，是另一个订单", item="不对，是另一个订单"
    )
    tracker.slots["order_id"] = "XK202411110004"
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "item": None,
        "order_id": None,
        "requested_slot": "order_id",
    }
    assert responses(dispatcher) == []


async def test_another_order_drops_the_estimate_of_the_old_one(services):
    # The earbuds of …04 were estimated; the shopper switches to order …07.
    tracker = reason_given_first(
        "质量问题",
        "不对，是XK202411110007",
        "XK202411110004",
        order_id="XK202411110007",
    )
    tracker.slots.update(item="EB-AIR2-WHT", refund_estimate="499.00")
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "order_id": "XK202411110007",
        "item": None,
        "return_confirmed": None,
        "refund_estimate": None,
        "requested_slot": "item",
    }
    assert responses(dispatcher) == []


PHOTO = "media:" + "9f" * 32 + ".jpg"


def photo_answer(photo: object, reason: str = "质量问题"):
    """A known shopper at the photo question who just answered it."""
    tracker = load_tracker("known_shopper", return_photo=photo)
    tracker.slots.update(
        order_id="XK202411110004",
        item="EB-AIR2-WHT",
        return_reason=reason,
        refund_estimate="499.00",
        requested_slot="return_photo",
    )
    return tracker


async def test_a_received_photo_is_kept_and_the_return_confirmed_next(services):
    dispatcher, events = await validate(photo_answer(PHOTO))
    assert slot_changes(events) == {
        "return_photo": PHOTO,
        "requested_slot": "return_confirmed",
    }
    assert responses(dispatcher) == []


async def test_skipping_the_photo_goes_on_to_the_confirmation(services):
    dispatcher, events = await validate(photo_answer(PHOTO_SKIPPED))
    assert slot_changes(events) == {
        "return_photo": PHOTO_SKIPPED,
        "requested_slot": "return_confirmed",
    }
    assert responses(dispatcher) == []


async def test_a_forged_image_reference_is_asked_again(services):
    # /send_image{"image_ref": "https://…"} typed by hand is no stored picture.
    dispatcher, events = await validate(photo_answer("https://evil.example/x.jpg"))
    assert slot_changes(events) == {
        "return_photo": None,
        "requested_slot": "return_photo",
    }
    assert responses(dispatcher) == ["utter_return_photo_hint"]


async def test_no_photo_is_asked_for_a_no_reason_return(services):
    tracker = load_tracker(
        "known_shopper",
        order_id="XK202411110004",
        item="EB-AIR2-WHT",
        return_reason="七天无理由",
    )
    _, events = await validate(tracker)
    assert slot_changes(events)["requested_slot"] == "return_confirmed"


async def test_the_photo_reaches_the_return_and_the_reply_says_so(services):
    tracker = load_tracker(
        "known_shopper",
        text="确认",
        order_id="XK202411110004",
        item="EB-AIR2-WHT",
        return_reason="质量问题",
        return_photo=PHOTO,
        return_confirmed=True,
    )
    dispatcher = CollectingDispatcher()
    assert await ActionSubmitReturn().run(dispatcher, tracker, {}) == SUBMITTED
    assert responses(dispatcher)[:2] == [
        "utter_return_created",
        "utter_return_photo_received",
    ]
    rma = message_kwargs(dispatcher, "utter_return_created")["rma"]
    stored = await orders_client().get_return("C100001", rma)
    assert stored["evidence"] == [PHOTO]
    assert stored["reason"] == "quality_issue"


async def test_a_skipped_photo_sends_no_evidence(services):
    tracker = load_tracker(
        "known_shopper",
        text="确认",
        order_id="XK202411110004",
        item="EB-AIR2-WHT",
        return_reason="发错货",
        return_photo=PHOTO_SKIPPED,
        return_confirmed=True,
    )
    dispatcher = CollectingDispatcher()
    assert await ActionSubmitReturn().run(dispatcher, tracker, {}) == SUBMITTED
    assert "utter_return_photo_received" not in responses(dispatcher)
    rma = message_kwargs(dispatcher, "utter_return_created")["rma"]
    assert (await orders_client().get_return("C100001", rma))["evidence"] == []
