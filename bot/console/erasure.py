"""A shopper's deletion request (删除我的聊天记录), done by the console.

``POST /internal/privacy/erase`` (the action server, bearer token) with
``{"conversation_id": ...}`` empties the conversation everywhere it is kept:

- Rasa's SQL tracker store (the embedded profile's SQLite file or the
  production PostgreSQL): every message loses its text, remembered values are
  masked (``bot.privacy.anonymise.erase_conversation``);
- the analytics' copy of the events (production: the event-broker consumer's
  ``analytics_events`` table), the same way;
- the console's own tables: web-chat messages deleted, handoff records emptied.

Each store is emptied on its own: when one is down, the others are still
emptied and the answer says which were (``erased``) and which were not
(``failed``), so the shopper can be told the truth; asking again after the
store is back finishes the job (emptying is idempotent and the counts only
count what changed this time).

Intents, actions and timestamps stay, so the analytics still count the
conversation. Orders, returns, warranties and points are the merchant's
transaction records and are not touched.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Literal, TypeVar

import sqlalchemy as sa

from bot.console.config import ConsoleSettings
from bot.console.repository import ConsoleRepository
from bot.platform.db import engine_for
from bot.privacy.anonymise import ErasedEvents, erase_conversation

logger = logging.getLogger(__name__)

#: Where a conversation is kept: Rasa's tracker store, the analytics' copy of
#: its events, the console's own tables.
Store = Literal["tracker", "analytics", "console"]
_T = TypeVar("_T")
# What a store that is down raises: the database's errors (SQLAlchemy wraps
# the driver's), a refused or broken connection before SQLAlchemy sees it, a
# timeout.
STORE_ERRORS = (sa.exc.SQLAlchemyError, OSError, asyncio.TimeoutError)


@dataclass(frozen=True)
class Erasure:
    """What a deletion request emptied, and where it could not.

    Attributes:
        messages: Shopper and bot messages in the tracker store.
        remembered_values: Slot values (phone number, order, ...) masked.
        web_messages: Agents' web-chat messages deleted.
        handoffs: Handoff records emptied.
        erased: The stores emptied (``tracker``, ``analytics``, ``console``).
        failed: The stores that could not be reached: nothing changed there.
    """

    messages: int = 0
    remembered_values: int = 0
    web_messages: int = 0
    handoffs: int = 0
    erased: list[Store] = field(default_factory=list)
    failed: list[Store] = field(default_factory=list)


class NoConversationStore(Exception):
    """Rasa keeps conversations in memory: nothing here can reach them."""


def _erase_events(url: str, conversation_id: str, table: str) -> ErasedEvents:
    return erase_conversation(engine_for(url), conversation_id, table)


async def _attempt(store: Store, work: Callable[[], Awaitable[_T]]) -> _T | None:
    """Run one store's erasure; ``None`` when the store is down."""
    try:
        return await work()
    except STORE_ERRORS as error:
        logger.error("erasing in the %s store failed: %s", store, type(error).__name__)
        return None


async def _nothing() -> None:
    return None


async def erase_shopper_data(
    settings: ConsoleSettings, repository: ConsoleRepository, conversation_id: str
) -> Erasure:
    """Empty ``conversation_id`` in every store (see the module docstring).

    The stores are emptied concurrently and independently: one that is down
    is reported in ``failed`` and does not stop the others.

    Raises:
        NoConversationStore: No SQL tracker store is configured.
    """
    tracker_url = settings.tracker_db_url
    if tracker_url is None:
        raise NoConversationStore
    analytics_url = settings.analytics_db_url or ""
    has_analytics = settings.analytics_table == "analytics_events" and bool(
        analytics_url
    )
    tracker, analytics, console = await asyncio.gather(
        _attempt(
            "tracker",
            lambda: asyncio.to_thread(
                _erase_events, tracker_url, conversation_id, "events"
            ),
        ),
        _attempt(
            "analytics",
            lambda: asyncio.to_thread(
                _erase_events, analytics_url, conversation_id, "analytics_events"
            ),
        )
        if has_analytics
        else _nothing(),
        _attempt("console", lambda: repository.erase_conversation(conversation_id)),
    )
    outcomes: dict[Store, object] = {"tracker": tracker}
    if has_analytics:
        outcomes["analytics"] = analytics
    outcomes["console"] = console
    return Erasure(
        messages=tracker.messages if tracker else 0,
        remembered_values=tracker.slots if tracker else 0,
        web_messages=console[0] if console else 0,
        handoffs=console[1] if console else 0,
        erased=[store for store, done in outcomes.items() if done is not None],
        failed=[store for store, done in outcomes.items() if done is None],
    )
