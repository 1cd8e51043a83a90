"""Delivery tracking against the real order service."""

import json
import logging

from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.errors import BackendUnavailable
from actions.clients.orders import OrdersClient
from actions.common import flow_done, orders_client
from actions.delivery import ActionAskOrderId, ActionTrackDelivery, ValidateDeliveryForm
from tests.support.trackers import load_tracker, message_kwargs, resolved, responses

DONE = flow_done("order_id")
TRACKED = resolved("delivery_tracked", "order_id")
DOMAIN = {"forms": {"delivery_form": {"required_slots": ["order_id"]}}, "slots": {}}


async def track(tracker):
    dispatcher = CollectingDispatcher()
    events = await ActionTrackDelivery().run(dispatcher, tracker, {})
    return dispatcher, events


async def test_order_in_transit_gets_carrier_tracking_number_and_events(services):
    tracker = load_tracker("known_shopper", order_id="XK202411110003")
    dispatcher, events = await track(tracker)
    assert events == TRACKED
    assert responses(dispatcher) == ["utter_delivery_status", "utter_ask_satisfaction"]
    status = message_kwargs(dispatcher, "utter_delivery_status")
    assert status["tracking_number"] == "SF123456789012"
    assert status["carrier"] == "顺丰速运"
    assert status["events"].startswith("· ")
    assert "预计" in status["eta"]


async def test_the_rating_question_offers_one_button_per_score(services):
    tracker = load_tracker("known_shopper", order_id="XK202411110003")
    dispatcher, _ = await track(tracker)
    buttons = message_kwargs(dispatcher, "utter_ask_satisfaction")["buttons"]
    assert [button["payload"] for button in buttons] == [
        f'/rate_service{{"satisfaction":"{score}"}}' for score in (5, 4, 3, 2, 1)
    ]
    assert buttons[0]["title"].startswith("5分")


async def test_paid_but_not_shipped_says_when_it_ships(services):
    dispatcher, events = await track(
        load_tracker("known_shopper", order_id="XK202411110002")
    )
    assert events == TRACKED
    assert responses(dispatcher) == ["utter_order_paid", "utter_ask_satisfaction"]
    urges = await orders_client().list_urges("C100001", "XK202411110002")
    assert urges["urge_count"] == 1
    assert [u["channel"] for u in urges["urges"]] == ["wechat"]


async def test_paid_order_is_answered_even_when_the_urge_is_not_recorded(
    services, monkeypatch, caplog
):
    async def refuse(self, customer_id, order_number, channel):
        raise BackendUnavailable("orders", "POST .../urges answered 503", 503)

    monkeypatch.setattr(OrdersClient, "record_urge", refuse)
    with caplog.at_level(logging.WARNING, logger="actions.delivery"):
        dispatcher, events = await track(
            load_tracker("known_shopper", order_id="XK202411110002")
        )
    assert events == TRACKED
    assert responses(dispatcher) == ["utter_order_paid", "utter_ask_satisfaction"]
    assert "XK202411110002" in caplog.text
    assert "not recorded" in caplog.text


async def test_urge_is_only_recorded_for_paid_orders(services):
    await track(load_tracker("known_shopper", order_id="XK202411110003"))
    await track(load_tracker("known_shopper", order_id="XK202411110001"))
    for order_number in ("XK202411110003", "XK202411110001", "XK202411110002"):
        urges = await orders_client().list_urges("C100001", order_number)
        assert urges["urge_count"] == 0


async def test_signed_but_not_received_apologises_and_offers_a_person(services):
    tracker = load_tracker(
        "known_shopper", text="显示签收了但我没收到啊", order_id="XK202411110004"
    )
    dispatcher, events = await track(tracker)
    assert events == TRACKED
    # The answer offers a person: no rating question on top of it.
    assert responses(dispatcher) == [
        "utter_delivery_status",
        "utter_signed_not_received",
    ]
    assert "已于" in message_kwargs(dispatcher, "utter_delivery_status")["eta"]


async def test_someone_elses_order_is_refused_without_details(services):
    tracker = load_tracker("known_shopper", order_id="XK202411110009")
    dispatcher = CollectingDispatcher()
    events = await ValidateDeliveryForm().run(dispatcher, tracker, DOMAIN)
    assert events == [SlotSet("order_id", None), SlotSet("requested_slot", "order_id")]
    assert responses(dispatcher) == ["utter_order_not_found"]
    shown = json.dumps(dispatcher.messages, ensure_ascii=False)
    # C100002's order: nothing of it may appear (carrier, tracking, product)
    for secret in ("JD000123456791", "扫地机器人", "李强", "C100002"):
        assert secret not in shown


async def test_recent_orders_are_offered_as_a_numbered_choice(services):
    dispatcher = CollectingDispatcher()
    events = await ActionAskOrderId().run(dispatcher, load_tracker("known_shopper"), {})
    assert events == []
    assert responses(dispatcher) == ["utter_choose_order"]
    buttons = dispatcher.messages[0]["buttons"]
    assert 1 <= len(buttons) <= 5
    assert all(b["payload"].startswith('/inform{"order_id": "XK') for b in buttons)
    assert all("C100002" not in b["title"] for b in buttons)


async def test_order_service_down_gets_an_apology(services_down):
    dispatcher, events = await track(
        load_tracker("known_shopper", order_id="XK202411110003")
    )
    assert events == DONE
    assert responses(dispatcher) == ["utter_backend_unavailable"]
