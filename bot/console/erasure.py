"""A shopper's deletion request (删除我的聊天记录), done by the console.

``POST /internal/privacy/erase`` (the action server, bearer token) with
``{"conversation_id": ...}`` empties the conversation everywhere it is kept:

- Rasa's SQL tracker store (the embedded profile's SQLite file or the
  production PostgreSQL): every message loses its text, remembered values are
  masked (``bot.privacy.retention.erase_conversation``);
- the analytics' copy of the events (production: the event-broker consumer's
  ``analytics_events`` table), the same way;
- the console's own tables: web-chat messages deleted, handoff records emptied.

Intents, actions and timestamps stay, so the analytics still count the
conversation. Orders, returns, warranties and points are the merchant's
transaction records and are not touched.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from aiohttp import web

from bot.analytics.db import engine_for
from bot.console.config import ConsoleSettings
from bot.console.keys import SERVICE, SETTINGS
from bot.console.repository import ConsoleRepository
from bot.console.views import json_error
from bot.privacy.retention import ErasedEvents, erase_conversation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Erasure:
    """What a deletion request emptied.

    Attributes:
        messages: Shopper and bot messages in the tracker store.
        remembered_values: Slot values (phone number, order, ...) masked.
        web_messages: Agents' web-chat messages deleted.
        handoffs: Handoff records emptied.
    """

    messages: int
    remembered_values: int
    web_messages: int
    handoffs: int


class NoConversationStore(Exception):
    """Rasa keeps conversations in memory: nothing here can reach them."""


def _erase_events(url: str, conversation_id: str, table: str) -> ErasedEvents:
    return erase_conversation(engine_for(url), conversation_id, table)


async def erase_shopper_data(
    settings: ConsoleSettings, repository: ConsoleRepository, conversation_id: str
) -> Erasure:
    """Empty ``conversation_id`` in every store (see the module docstring).

    Raises:
        NoConversationStore: No SQL tracker store is configured.
    """
    if settings.tracker_db_url is None:
        raise NoConversationStore
    tracker = await asyncio.to_thread(
        _erase_events, settings.tracker_db_url, conversation_id, "events"
    )
    if settings.analytics_table == "analytics_events" and settings.analytics_db_url:
        await asyncio.to_thread(
            _erase_events,
            settings.analytics_db_url,
            conversation_id,
            "analytics_events",
        )
    web_messages, handoffs = await repository.erase_conversation(conversation_id)
    return Erasure(
        messages=tracker.messages,
        remembered_values=tracker.slots,
        web_messages=web_messages,
        handoffs=handoffs,
    )


async def internal_erase(request: web.Request) -> web.Response:
    """``POST /internal/privacy/erase``: the counts of what was emptied."""
    try:
        body = await request.json()
    except ValueError:
        return json_error(400, "invalid_json", "body must be JSON")
    conversation_id = body.get("conversation_id") if isinstance(body, dict) else None
    if not isinstance(conversation_id, str) or not 0 < len(conversation_id) <= 255:
        return json_error(400, "invalid_body", "conversation_id is required")
    try:
        erasure = await erase_shopper_data(
            request.app[SETTINGS], request.app[SERVICE].repository, conversation_id
        )
    except NoConversationStore:
        # Not a passing failure: asking again will not help.
        return json_error(
            409, "no_conversation_store", "conversations are kept in memory only"
        )
    except sa.exc.SQLAlchemyError as error:
        logger.error("erasing a conversation failed: %s", type(error).__name__)
        return json_error(503, "store_unavailable", "a conversation store failed")
    logger.info("conversation erased on the shopper's request: %s", asdict(erasure))
    return web.json_response(asdict(erasure))
