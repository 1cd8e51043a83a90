"""Identity first: known shoppers are recognised, unknown ones verify and bind."""

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import flow_done
from actions.loyalty import ActionShowLoyalty, ValidateLoyaltyForm
from tests.support.trackers import load_tracker, responses, slot_changes

LOYALTY_SLOTS = ActionShowLoyalty.flow_slots
DOMAIN = {"forms": {"loyalty_form": {"required_slots": ["customer_id"]}}, "slots": {}}


async def run_form(tracker):
    dispatcher = CollectingDispatcher()
    events = await ValidateLoyaltyForm().run(dispatcher, tracker, DOMAIN)
    return dispatcher, events


async def test_wechat_shopper_bound_in_crm_is_recognised(services):
    tracker = load_tracker("known_shopper", customer_id=None)
    dispatcher, events = await run_form(tracker)
    assert slot_changes(events) == {"customer_id": "C100001"}
    assert responses(dispatcher) == []


async def test_unknown_shopper_is_asked_for_the_phone_first(services):
    dispatcher, events = await run_form(load_tracker("unknown_shopper"))
    assert slot_changes(events) == {"requested_slot": "phone"}
    assert responses(dispatcher) == []


async def test_phone_and_own_order_bind_the_identity(services):
    tracker = load_tracker(
        "unknown_shopper", phone="13700001111", order_id="XK202411110012"
    )
    dispatcher, events = await run_form(tracker)
    assert slot_changes(events) == {
        "phone": "13700001111",
        "order_id": "XK202411110012",  # theirs: confirmed once they are known
        "customer_id": "C100003",
        "verification_failures": 0,
    }
    assert responses(dispatcher) == ["utter_identity_verified"]
    # bound now: the next conversation on this identity is recognised
    again, _ = await run_form(load_tracker("unknown_shopper"))
    assert responses(again) == []


async def test_someone_elses_order_does_not_verify(services):
    tracker = load_tracker(
        "unknown_shopper", phone="13700001111", order_id="XK202411110003"
    )
    dispatcher, events = await run_form(tracker)
    assert slot_changes(events) == {
        "phone": None,
        "order_id": None,
        "verification_failures": 1,
        "requested_slot": "phone",
    }
    assert responses(dispatcher) == ["utter_identity_mismatch"]


async def test_second_failed_verification_ends_the_form_with_an_offer(services):
    tracker = load_tracker(
        "unknown_shopper",
        phone="13700001111",
        order_id="XK202411110003",
        verification_failures=1,
    )
    dispatcher, events = await run_form(tracker)
    assert slot_changes(events) == {
        "phone": None,
        "order_id": None,
        "flow_stop": "identity_failed",
        "requested_slot": None,
    }
    assert responses(dispatcher) == ["utter_identity_failed"]


async def test_crm_down_gets_an_apology_and_ends_the_form(services_down):
    dispatcher, events = await run_form(load_tracker("unknown_shopper"))
    assert slot_changes(events) == {
        "flow_stop": "backend_unavailable",
        "phone": None,
        "order_id": None,
        "requested_slot": None,
    }
    assert responses(dispatcher) == ["utter_backend_unavailable"]


async def test_crm_down_forgets_the_unverified_phone_and_order(services_down):
    tracker = load_tracker(
        "unknown_shopper", phone="13800138000", order_id="XK202411110001"
    )
    dispatcher, events = await run_form(tracker)
    # Left filled, they would skip the identity questions when the shopper
    # asks again once the CRM is back.
    assert slot_changes(events) == {
        "flow_stop": "backend_unavailable",
        "phone": None,
        "order_id": None,
        "requested_slot": None,
    }
    assert responses(dispatcher) == ["utter_backend_unavailable"]


def answer_without_value(text, **slots):
    tracker = load_tracker("unknown_shopper", text=text, **slots)
    tracker.slots["requested_slot"] = "phone"
    tracker.latest_message["intent"] = {"name": "inform", "confidence": 0.9}
    return tracker


async def test_malformed_phone_gets_a_hint_then_an_offer_of_a_person(services):
    dispatcher, events = await run_form(answer_without_value("138001380"))
    assert responses(dispatcher) == ["utter_phone_format_hint"]
    assert slot_changes(events) == {"requested_slot": "phone", "validation_failures": 1}
    dispatcher, events = await run_form(
        answer_without_value("1380013", validation_failures=1)
    )
    assert responses(dispatcher) == ["utter_offer_handoff_after_retries"]
    assert slot_changes(events)["flow_stop"] == "format"
    assert slot_changes(events)["requested_slot"] is None


async def test_a_side_question_is_not_counted_as_a_malformed_answer(services):
    tracker = answer_without_value("运费多少")
    tracker.latest_message["intent"] = {"name": "faq", "confidence": 0.9}
    dispatcher, events = await run_form(tracker)
    assert responses(dispatcher) == []
    assert "validation_failures" not in slot_changes(events)


async def test_a_remembered_customer_the_identity_is_not_bound_to_is_forgotten(
    services,
):
    # The slot says C100001, but this conversation's identity is bound to nobody
    # (e.g. the slot was carried into a conversation it does not belong to).
    tracker = load_tracker("known_shopper")
    tracker.sender_id = "wechat:an-openid-nobody-bound"
    dispatcher, events = await run_form(tracker)
    assert slot_changes(events) == {
        "customer_id": None,
        "phone": None,
        "order_id": None,
        "requested_slot": "phone",
    }
    assert responses(dispatcher) == []


async def test_the_final_action_shows_nothing_of_an_unbound_customer(services):
    tracker = load_tracker("known_shopper")
    tracker.sender_id = "rest:someone-else"
    dispatcher = CollectingDispatcher()
    events = await ActionShowLoyalty().run(dispatcher, tracker, {})
    assert responses(dispatcher) == ["utter_identity_reverify"]
    assert events == [SlotSet("customer_id", None), *flow_done(*LOYALTY_SLOTS)]
    assert "8799" not in str(dispatcher.messages)


async def test_the_final_action_answers_the_bound_customer(services):
    dispatcher = CollectingDispatcher()
    await ActionShowLoyalty().run(dispatcher, load_tracker("known_shopper"), {})
    assert "utter_loyalty_summary" in responses(dispatcher)
