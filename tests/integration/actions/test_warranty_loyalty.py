"""Warranty registration and status, and the loyalty summary, against the CRM."""

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import flow_done
from actions.loyalty import ActionShowLoyalty
from actions.warranty import (
    ActionCheckWarranty,
    ActionRegisterWarranty,
    ValidateWarrantyForm,
)
from tests.support.trackers import (
    load_tracker,
    message_kwargs,
    resolved,
    responses,
    slot_changes,
)

DOMAIN = {
    "forms": {"warranty_form": {"required_slots": ["serial_number"]}},
    "slots": {},
}


async def validate(tracker):
    dispatcher = CollectingDispatcher()
    events = await ValidateWarrantyForm().run(dispatcher, tracker, DOMAIN)
    return dispatcher, events


async def test_badly_formatted_serial_gets_a_hint_then_an_offer(services):
    dispatcher, events = await validate(
        load_tracker("known_shopper", serial_number="SN123")
    )
    assert events == [
        SlotSet("serial_number", None),
        SlotSet("validation_failures", 1),
        SlotSet("requested_slot", "serial_number"),
    ]
    assert responses(dispatcher) == ["utter_serial_format_hint"]
    dispatcher, events = await validate(
        load_tracker("known_shopper", serial_number="SN123", validation_failures=1)
    )
    assert responses(dispatcher) == ["utter_offer_handoff_after_retries"]
    assert SlotSet("flow_stop", "format") in events


async def test_an_answer_with_no_serial_in_it_gets_the_serial_hint(services):
    tracker = load_tracker("known_shopper", text="序列号在盒子上写着呢")
    tracker.slots["requested_slot"] = "serial_number"
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.9}
    dispatcher, events = await validate(tracker)
    assert events == [
        SlotSet("requested_slot", "serial_number"),
        SlotSet("validation_failures", 1),
    ]
    assert responses(dispatcher) == ["utter_serial_format_hint"]


async def test_serial_not_in_the_shoppers_orders_is_refused(services):
    dispatcher, events = await validate(
        load_tracker("known_shopper", serial_number="SN5R9T2K7M3P")
    )
    assert events == [
        SlotSet("serial_number", None),
        SlotSet("requested_slot", "serial_number"),
    ]
    assert responses(dispatcher) == ["utter_serial_not_in_orders"]


async def test_registration_replies_with_the_warranty_end_date(services):
    tracker = load_tracker("known_shopper", serial_number="SN3F7T1W6B2X")
    dispatcher, events = await validate(tracker)
    assert SlotSet("serial_number", "SN3F7T1W6B2X") in events
    dispatcher = CollectingDispatcher()
    events = await ActionRegisterWarranty().run(dispatcher, tracker, {})
    assert events == resolved("warranty_registered", "serial_number")
    assert responses(dispatcher) == [
        "utter_warranty_registered",
        "utter_ask_satisfaction",
    ]
    registered = message_kwargs(dispatcher, "utter_warranty_registered")
    assert registered["serial"] == "SN3F7T1W6B2X"
    assert registered["end_date"].startswith("2025年")  # 12 months from Nov 2024


async def test_warranty_question_lists_registered_warranties(services):
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper", text="我的手机还在保修期吗")
    events = await ActionCheckWarranty().run(dispatcher, tracker, {})
    assert events == resolved("warranty_checked", "serial_number")
    assert responses(dispatcher)[-1] == "utter_ask_satisfaction"
    assert responses(dispatcher)[0] in {
        "utter_warranty_active",
        "utter_warranty_expired",
    }
    assert message_kwargs(dispatcher, responses(dispatcher)[0])["serial"] == (
        "SN8H2K4M9Q1Z"
    )


async def test_loyalty_summary_has_points_tier_expiry_and_progress(services):
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper", text="我有多少积分")
    events = await ActionShowLoyalty().run(dispatcher, tracker, {})
    assert events == resolved("loyalty_checked")
    assert responses(dispatcher) == [
        "utter_loyalty_summary",
        "utter_points_expiring",
        "utter_tier_progress",
        "utter_ask_satisfaction",
    ]
    assert message_kwargs(dispatcher, "utter_loyalty_summary")["points"] == 8799
    assert message_kwargs(dispatcher, "utter_loyalty_summary")["tier"] == "金卡会员"
    assert message_kwargs(dispatcher, "utter_points_expiring")["points"] == 800


async def test_ledger_entries_on_request(services):
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper", text="看下积分明细")
    await ActionShowLoyalty().run(dispatcher, tracker, {})
    assert responses(dispatcher)[-2:] == ["utter_ledger", "utter_ask_satisfaction"]
    assert message_kwargs(dispatcher, "utter_ledger")["entries"].count("· ") >= 1


async def test_crm_down_gets_an_apology(services_down):
    dispatcher = CollectingDispatcher()
    await ActionShowLoyalty().run(dispatcher, load_tracker("known_shopper"), {})
    assert responses(dispatcher) == ["utter_backend_unavailable"]


async def test_rating_is_asked_once_per_session(services):
    tracker = load_tracker("known_shopper", text="我有多少积分")
    tracker.events.append({"event": "slot", "name": "flow_outcome", "value": "x"})
    dispatcher = CollectingDispatcher()
    events = await ActionShowLoyalty().run(dispatcher, tracker, {})
    assert events == resolved("loyalty_checked")  # still counted
    assert "utter_ask_satisfaction" not in responses(dispatcher)
    # A new session carries the slot over (before the shopper's first message):
    # that is not this session's outcome, so the rating is asked again.
    tracker.events.append({"event": "session_started"})
    tracker.events.append({"event": "slot", "name": "flow_outcome", "value": "x"})
    tracker.events.append({"event": "user", "text": "我有多少积分"})
    dispatcher = CollectingDispatcher()
    await ActionShowLoyalty().run(dispatcher, tracker, {})
    assert responses(dispatcher)[-1] == "utter_ask_satisfaction"


async def test_failed_flow_has_no_outcome_and_no_rating(services_down):
    dispatcher = CollectingDispatcher()
    tracker = load_tracker("known_shopper", text="我有多少积分")
    assert await ActionShowLoyalty().run(dispatcher, tracker, {}) == flow_done()
    assert responses(dispatcher) == ["utter_backend_unavailable"]


async def test_a_serial_given_before_the_shopper_is_known_waits_for_identity(
    services,
):
    # A warranty-card QR code: /register_warranty{"serial_number": …} from a
    # new follower. Identity first; the serial is kept, not yet looked up.
    dispatcher, events = await validate(
        load_tracker("unknown_shopper", serial_number="sn3f7t1w6b2x")
    )
    assert slot_changes(events) == {
        "serial_number": "SN3F7T1W6B2X",
        "validation_failures": 0,
        "requested_slot": "phone",
    }
    assert responses(dispatcher) == []


def verifying_with_a_serial_known(serial):
    """王芳 answers the identity questions; the serial came with the request."""
    tracker = load_tracker(
        "unknown_shopper", phone="13800138000", order_id="XK202411110001"
    )
    tracker.slots["serial_number"] = serial
    return tracker


async def test_after_verification_the_serial_is_known_and_registered(services):
    tracker = verifying_with_a_serial_known("SN3F7T1W6B2X")
    dispatcher, events = await validate(tracker)
    assert slot_changes(events) == {
        "phone": "13800138000",
        "order_id": "XK202411110001",  # theirs (as in every flow)
        "customer_id": "C100001",
        "verification_failures": 0,
        "serial_number": "SN3F7T1W6B2X",
        "validation_failures": 0,
        "requested_slot": None,  # nothing left to ask: the form is done
    }
    assert responses(dispatcher) == ["utter_identity_verified"]
    dispatcher = CollectingDispatcher()
    events = await ActionRegisterWarranty().run(dispatcher, tracker, {})
    assert events == resolved("warranty_registered", "serial_number")
    assert message_kwargs(dispatcher, "utter_warranty_registered")["serial"] == (
        "SN3F7T1W6B2X"
    )


async def test_after_verification_a_serial_of_someone_else_is_asked_again(services):
    dispatcher, events = await validate(verifying_with_a_serial_known("SN5R9T2K7M3P"))
    changes = slot_changes(events)
    assert changes["customer_id"] == "C100001"
    assert changes["serial_number"] is None
    assert changes["requested_slot"] == "serial_number"
    assert responses(dispatcher) == [
        "utter_identity_verified",
        "utter_serial_not_in_orders",
    ]
