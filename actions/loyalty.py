"""Loyalty balance: points, tier, points expiring soon, progress, recent entries."""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    chinese_date,
    crm_client,
    latest_text,
)
from actions.contract import ShopperAction, ShopperFormValidation
from actions.satisfaction import AsksForRating

EXPIRY_WINDOW_DAYS = 30
LEDGER_ENTRIES = 5
KIND_NAMES = {"earn": "获得", "spend": "使用", "expire": "过期"}
_WANTS_LEDGER = re.compile(r"明细|记录|流水|账单|ledger|怎么来的|哪来的")


class ValidateLoyaltyForm(ShopperFormValidation):
    """Loyalty form: only identity is needed."""

    def name(self) -> str:
        """Name of the action."""
        return "validate_loyalty_form"


class ActionShowLoyalty(AsksForRating, ShopperAction):
    """Tell the shopper their points, tier and what expires soon."""

    def name(self) -> str:
        """Name of the action."""
        return "action_show_loyalty"

    async def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, customer_id: str
    ) -> str | None:
        """Answer from the CRM's loyalty summary (and ledger when asked)."""
        crm = crm_client()
        summary = await crm.loyalty_summary(customer_id, EXPIRY_WINDOW_DAYS)
        wants_ledger = _WANTS_LEDGER.search(latest_text(tracker))
        ledger = await crm.ledger(customer_id, LEDGER_ENTRIES) if wants_ledger else []
        dispatcher.utter_message(
            response="utter_loyalty_summary",
            points=summary["points_balance"],
            tier=summary["tier_name"],
        )
        if summary["expiring_points"] > 0:
            dispatcher.utter_message(
                response="utter_points_expiring",
                points=summary["expiring_points"],
                date=chinese_date(summary["next_expiry_date"]),
            )
        if summary["next_tier_name"]:
            dispatcher.utter_message(
                response="utter_tier_progress",
                next_tier=summary["next_tier_name"],
                missing=summary["points_to_next_tier"],
                percent=summary["progress_percent"],
            )
        else:
            dispatcher.utter_message(response="utter_top_tier")
        if ledger:
            lines = "\n".join(
                f"· {chinese_date(entry['occurred_at'])} "
                f"{KIND_NAMES.get(entry['kind'], entry['kind'])} "
                f"{abs(entry['points'])} 分 {entry['description']}"
                for entry in ledger
            )
            dispatcher.utter_message(response="utter_ledger", entries=lines)
        return "loyalty_checked"
