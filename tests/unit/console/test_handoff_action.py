"""action_handoff: every trigger's reason, the summary, queueing and pausing."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ConversationPaused, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.binding import remember_binding
from actions.clients.errors import BackendUnavailable
from actions.handoff import (
    ActionHandoff,
    build_summary,
    handoff_reason,
    request_handoff,
)
from tests.support.trackers import responses

OPEN_TICKET = {
    "handoff_id": 7,
    "position": 2,
    "estimated_wait_minutes": 15,
    "service_open": True,
    "opens_at": "明天09:00",
    "service_hours": "09:00-22:00",
}


def user(text: str, intent: str, entities: list[dict] | None = None) -> dict:
    return {
        "event": "user",
        "text": text,
        "input_channel": "rest",
        "parse_data": {"intent": {"name": intent}, "entities": entities or []},
    }


def bot(utter: str, text: str = "…") -> dict:
    return {"event": "bot", "text": text, "metadata": {"utter_action": utter}}


def action(name: str) -> dict:
    return {"event": "action", "name": name}


def tracker(*events: dict, slots: dict[str, Any] | None = None) -> Tracker:
    events_list = [action("action_listen"), *events]
    latest = next(e for e in reversed(events_list) if e["event"] == "user")
    return Tracker(
        sender_id="web:abc123456",
        slots=slots or {},
        latest_message={**latest["parse_data"], "text": latest["text"]},
        events=events_list,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


class FakeConsole:
    def __init__(self, ticket: dict | None = None, error: Exception | None = None):
        self.ticket = ticket or OPEN_TICKET
        self.error = error
        self.requests: list[dict] = []

    async def request_handoff(self, request: dict) -> dict:
        self.requests.append(request)
        if self.error:
            raise self.error
        return self.ticket


async def run(t: Tracker, console: FakeConsole) -> tuple[CollectingDispatcher, list]:
    dispatcher = CollectingDispatcher()
    events = await ActionHandoff(console).run(dispatcher, t, {})  # type: ignore[arg-type]
    return dispatcher, events


@pytest.mark.parametrize(
    ("offer", "reason"),
    [
        ("utter_complain_apology", "complaint"),
        ("utter_offer_handoff", "repeated_fallback"),
        ("utter_backend_unavailable", "backend_unavailable"),
        ("utter_signed_not_received", "signed_not_received"),
        ("utter_offer_handoff_after_retries", "repeated_failures"),
        ("utter_product_info_missing", "presales_question"),
    ],
)
def test_an_accepted_offer_of_a_person_gives_its_reason(offer, reason):
    for answer in (user("好的", "affirm"), user("转人工", "human_handoff")):
        t = tracker(user("……", "complain"), bot(offer), action("action_listen"), answer)
        assert handoff_reason(t) == reason


def test_asking_for_a_person_without_an_offer_is_a_shopper_request():
    t = tracker(
        user("你好", "greet"), bot("utter_greet"), user("转人工", "human_handoff")
    )
    assert handoff_reason(t) == "shopper_request"


def test_an_old_offer_does_not_count():
    t = tracker(
        bot("utter_backend_unavailable"),
        user("你好", "greet"),
        bot("utter_greet"),
        user("转人工", "human_handoff"),
    )
    assert handoff_reason(t) == "shopper_request"


def test_a_reason_marked_by_an_action_wins():
    t = tracker(user("转人工", "human_handoff"), slots={"handoff_reason": "大额退款"})
    assert handoff_reason(t) == "大额退款"


def test_request_handoff_marks_the_reason_and_runs_the_action_next():
    assert request_handoff("developer") == [
        SlotSet("handoff_reason", "developer"),
        FollowupAction("action_handoff"),
    ]


def test_summary_has_intents_slots_order_numbers_and_reason():
    t = tracker(
        user("我的快递到哪了", "track_delivery"),
        bot("utter_ask_order_id"),
        user(
            "XK202411110004",
            "inform",
            [{"entity": "order_id", "value": "XK202411110004"}],
        ),
        bot("utter_signed_not_received"),
        user("还有xk202411110003也没到，转人工", "human_handoff"),
        slots={
            "customer_id": "C100001",
            "order_id": None,
            "requested_slot": "order_id",
            "flow_stop": None,
            "phone": "13800138000",
        },
    )
    summary = build_summary(t, "signed_not_received")
    assert summary == {
        "reason": "signed_not_received",
        "reason_label": "物流显示签收但顾客没收到",
        "intents": ["track_delivery", "inform", "human_handoff"],
        "slots": {"customer_id": "C100001", "phone": "13800138000"},
        "order_numbers": ["XK202411110004", "XK202411110003"],
        "last_message": "还有xk202411110003也没到，转人工",
    }


def test_a_presales_summary_names_the_product_not_the_question_bookkeeping():
    t = tracker(
        user("Air2能当助听器用吗", "ask_product"),
        bot("utter_product_info_missing"),
        user("转人工", "human_handoff"),
        slots={
            "product_id": "air2",
            "recent_products": ["air2"],
            "product_question": {
                "text": "Air2能当助听器用吗",
                "detail": "能当助听器用",
            },
        },
    )
    summary = build_summary(t, handoff_reason(t) or "")
    assert summary["reason_label"] == "售前问题，商品信息里没有写到"
    assert summary["slots"] == {"product_id": "air2", "recent_products": ["air2"]}


def test_summary_keeps_the_question_asked_beside_the_request_for_a_person():
    text = "我要转人工 我买的椅子想退货，商家不同意怎么办"
    asked = user(text, "human_handoff")
    asked["parse_data"]["person_request"] = {
        "phrase": "我要转人工",
        "replaced_intent": {"name": "request_return", "confidence": 0.81},
    }
    declined = user("人工", "human_handoff")
    declined["parse_data"]["person_request"] = {
        "phrase": "人工",
        "replaced_intent": {"name": "nlu_fallback", "confidence": 0.45},
    }
    summary = build_summary(
        tracker(declined, bot("utter_handoff_unavailable"), asked), "shopper_request"
    )
    assert summary["intents"] == ["human_handoff", "request_return", "human_handoff"]
    assert summary["last_message"] == text


async def test_handoff_queues_tells_the_wait_and_pauses():
    console = FakeConsole()
    t = tracker(user("转人工", "human_handoff"), slots={"customer_id": "C100001"})
    remember_binding(t, "C100001")  # the CRM's answer for this turn
    dispatcher, events = await run(t, console)
    assert events == [
        SlotSet("handoff_reason", "shopper_request"),  # kept in the history
        SlotSet("handoff_reason", None),
        ConversationPaused(),
    ]
    assert dispatcher.messages[0]["response"] == "utter_handoff_queued"
    assert dispatcher.messages[0]["ahead"] == 2
    assert dispatcher.messages[0]["wait_minutes"] == 15
    request = console.requests[0]
    assert request["conversation_id"] == "web:abc123456"
    assert request["channel"] == "web"
    assert request["reason"] == "shopper_request"
    assert request["customer_id"] == "C100001"


async def test_handoff_names_no_customer_the_identity_is_no_longer_bound_to():
    console = FakeConsole()
    t = tracker(user("转人工", "human_handoff"), slots={"customer_id": "C100001"})
    remember_binding(t, "C100002")  # re-bound since C100001 verified
    await run(t, console)
    assert console.requests[0]["customer_id"] is None


async def test_first_in_queue_is_told_an_agent_comes_right_away():
    console = FakeConsole({**OPEN_TICKET, "position": 0})
    dispatcher, events = await run(tracker(user("转人工", "human_handoff")), console)
    assert responses(dispatcher) == ["utter_handoff_queued_next"]
    assert events[-1] == ConversationPaused()


async def test_outside_service_hours_the_shopper_is_told_when_agents_are_back():
    console = FakeConsole({**OPEN_TICKET, "service_open": False})
    dispatcher, events = await run(tracker(user("转人工", "human_handoff")), console)
    assert responses(dispatcher) == ["utter_handoff_after_hours"]
    assert dispatcher.messages[0]["opens_at"] == "明天09:00"
    assert events[-1] == ConversationPaused()


async def test_console_down_apologises_and_keeps_the_bot_serving():
    console = FakeConsole(error=BackendUnavailable("console", "connection refused"))
    dispatcher, events = await run(tracker(user("转人工", "human_handoff")), console)
    assert responses(dispatcher) == ["utter_handoff_unavailable"]
    assert events == [
        SlotSet("handoff_reason", "shopper_request"),
        SlotSet("handoff_reason", None),
    ]


async def test_affirm_after_a_delivery_answer_without_an_offer_does_not_hand_off():
    console = FakeConsole()
    t = tracker(
        user("XK202411110003到哪了", "track_delivery"),
        bot("utter_delivery_status"),
        action("action_track_delivery"),
        action("action_listen"),
        user("好的", "affirm"),
    )
    dispatcher, events = await run(t, console)
    assert responses(dispatcher) == ["utter_handoff_not_offered"]
    assert events == []
    assert console.requests == []


async def test_affirm_after_signed_but_not_received_hands_off():
    console = FakeConsole()
    t = tracker(
        user("显示签收了但我没收到", "track_delivery"),
        bot("utter_delivery_status"),
        bot("utter_signed_not_received"),
        action("action_track_delivery"),
        action("action_listen"),
        user("好的", "affirm"),
    )
    _, events = await run(t, console)
    assert events[-1] == ConversationPaused()
    assert console.requests[0]["reason"] == "signed_not_received"
