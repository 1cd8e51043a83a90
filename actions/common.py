"""What every shopper-facing action shares: clients, flow bookkeeping, wording."""

from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.clients.catalogue import CatalogueClient
from actions.clients.crm import CrmClient
from actions.clients.errors import BackendError
from actions.clients.orders import OrdersClient

logger = logging.getLogger(__name__)

# Slot the flows set when something went wrong and the form should end quietly
# (the shopper has already been told why).
FLOW_STOP = "flow_stop"
BACKEND_DOWN = "backend_unavailable"

# Per-flow bookkeeping every flow's final action clears.
FLOW_BOOKKEEPING = (FLOW_STOP, "verification_failures", "validation_failures")

_clients: dict[str, Any] = {}


def flow_done(*slots: str) -> list[EventType]:
    """Events that end a flow: unset its ``slots`` and the flow bookkeeping.

    Args:
        *slots: The flow's own slots to forget.

    Returns:
        ``SlotSet(slot, None)`` for each slot, then for the bookkeeping slots.
    """
    return [SlotSet(slot, None) for slot in (*slots, *FLOW_BOOKKEEPING)]


def orders_client() -> OrdersClient:
    """Return the process-wide order service client (built on first use)."""
    if "orders" not in _clients:
        _clients["orders"] = OrdersClient()
    client: OrdersClient = _clients["orders"]
    return client


def catalogue_client() -> CatalogueClient:
    """Return the process-wide product catalogue client (built on first use)."""
    if "catalogue" not in _clients:
        _clients["catalogue"] = CatalogueClient()
    client: CatalogueClient = _clients["catalogue"]
    return client


def crm_client() -> CrmClient:
    """Return the process-wide CRM client (built on first use)."""
    if "crm" not in _clients:
        _clients["crm"] = CrmClient()
    client: CrmClient = _clients["crm"]
    return client


def reset_clients() -> None:
    """Forget the clients, so the next use reads the environment again (tests)."""
    _clients.clear()


def apologise_for_backend(
    dispatcher: CollectingDispatcher, error: BackendError
) -> None:
    """Tell the shopper, in Chinese, that a system did not answer, and offer a person.

    Args:
        dispatcher: Where replies go.
        error: What failed (logged, never shown).
    """
    logger.warning("backend call failed: %s", error)
    dispatcher.utter_message(response="utter_backend_unavailable")


def yuan(fen: int) -> str:
    """Format an amount in fen as yuan, e.g. ``12990`` → ``129.90``."""
    return f"{fen // 100}.{fen % 100:02d}"


def chinese_date(value: str | None) -> str:
    """Format an ISO date or timestamp as ``2024年11月20日``; empty if missing."""
    if not value:
        return ""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = datetime.combine(date.fromisoformat(value[:10]), datetime.min.time())
    return f"{parsed.year}年{parsed.month}月{parsed.day}日"


def chinese_time(value: str) -> str:
    """Format an ISO timestamp as ``11月20日 14:05``."""
    parsed = datetime.fromisoformat(value)
    return f"{parsed.month}月{parsed.day}日 {parsed.hour:02d}:{parsed.minute:02d}"


def latest_text(tracker: Tracker) -> str:
    """The shopper's latest message text (empty if none)."""
    return str(tracker.latest_message.get("text") or "")
