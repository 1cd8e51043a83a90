"""Stopping a flow forgets what it collected, for every form in the domain."""

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.flow_control import ActionResetFlow

DOMAIN = {
    "forms": {
        "return_form": {"required_slots": ["order_id", "item", "return_reason"]},
        "loyalty_form": {"required_slots": ["customer_id"]},
        "invoice_form": {"required_slots": ["order_id", "tax_id"]},
    }
}


async def test_stop_forgets_every_form_slot_but_keeps_the_shopper():
    tracker = Tracker.from_dict({"sender_id": "s", "slots": {}, "events": []})
    events = await ActionResetFlow().run(CollectingDispatcher(), tracker, DOMAIN)
    assert events == [
        SlotSet(slot, None)
        for slot in (
            "order_id",
            "item",
            "return_reason",
            "tax_id",
            "phone",
            "refund_estimate",
            "tier",
            "flow_stop",
            "verification_failures",
            "validation_failures",
        )
    ]
