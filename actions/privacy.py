"""A shopper's deletion request: 删除我的聊天记录, confirmed, then done.

The rules (data/rules/privacy.yml) ask ``utter_confirm_delete_data`` first;
this action runs only after the shopper confirms. The console empties the
conversation in every store (bot/console/erasure.py); this action then forgets
what the conversation remembered (identity included) and says what was deleted
and, when a store was down, what was not (asking again finishes the job).
"""

from __future__ import annotations

import logging

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, AllSlotsReset, EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.console import ConsoleClient, Erasure
from actions.clients.errors import BackendError, Rejected

logger = logging.getLogger(__name__)

#: What each store holds, as the shopper is told it was not deleted.
KEPT_LABELS = {
    "tracker": "聊天记录（聊天内容和您提供过的手机号、订单号等）",
    "analytics": "数据统计里的对话副本",
    "console": "人工客服的记录",
}


def conversation_id(tracker: Tracker) -> str:
    """The id the stores keep ``tracker``'s conversation under (one place)."""
    return tracker.sender_id


def erased_parts(erasure: Erasure) -> str:
    """The optional part of the answer: records kept by the human service.

    Args:
        erasure: The console's counts.

    Returns:
        ``、N条人工客服的记录`` or an empty string.
    """
    human = erasure["web_messages"] + erasure["handoffs"]
    return f"、{human}条人工客服的记录" if human else ""


def deleted_part(erasure: Erasure) -> str:
    """What went, when a store was down: ``已经删除：…。`` or nothing.

    Args:
        erasure: The console's answer (some stores failed).

    Returns:
        The sentence naming the emptied stores, or ``""`` when none was.
    """
    parts = []
    if "tracker" in erasure["erased"]:
        parts.append(
            f"{erasure['messages']}条聊天消息的内容、"
            f"{erasure['remembered_values']}项您提供过的信息（手机号、订单号等）"
        )
    if "analytics" in erasure["erased"]:
        parts.append(KEPT_LABELS["analytics"])
    human = erasure["web_messages"] + erasure["handoffs"]
    if "console" in erasure["erased"] and human:
        parts.append(f"{human}条人工客服的记录")
    return f"已经删除：{'、'.join(parts)}。" if parts else ""


def kept_part(erasure: Erasure) -> str:
    """What stayed because its store was down: ``聊天记录（…）、人工客服的记录``."""
    return "、".join(KEPT_LABELS.get(store, store) for store in erasure["failed"])


class ActionDeleteMyData(Action):
    """Erase the conversation's data (confirmed by the shopper), say what went."""

    def __init__(self, client: ConsoleClient | None = None) -> None:
        self._client = client

    def name(self) -> str:
        """Return the action's name."""
        return "action_delete_my_data"

    @property
    def client(self) -> ConsoleClient:
        """The console client (built on first use, from the environment)."""
        if self._client is None:
            self._client = ConsoleClient()
        return self._client

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Erase; say what was deleted and what was not (a store was down)."""
        try:
            erasure = await self.client.erase_conversation(conversation_id(tracker))
        except Rejected as rejection:
            logger.warning("deletion request refused: %s", rejection.code)
            dispatcher.utter_message(response="utter_delete_data_unavailable")
            return []
        except BackendError as error:
            logger.warning("deletion request not done: %s", error)
            dispatcher.utter_message(response="utter_delete_data_failed")
            return []
        if erasure.get("failed"):
            logger.warning("deletion request partly done: %s", erasure["failed"])
            dispatcher.utter_message(
                response="utter_data_partly_deleted",
                deleted_part=deleted_part(erasure),
                kept=kept_part(erasure),
            )
        else:
            dispatcher.utter_message(
                response="utter_data_deleted",
                messages=erasure["messages"],
                remembered_values=erasure["remembered_values"],
                handoff_part=erased_parts(erasure),
            )
        # Forgotten in any case: the shopper asked, and the stores' copies go
        # when they ask again.
        return [ActiveLoop(None), AllSlotsReset()]
