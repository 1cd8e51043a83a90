"""A shopper's deletion request: 删除我的聊天记录, confirmed, then done.

The rules (data/rules/privacy.yml) ask ``utter_confirm_delete_data`` first;
this action runs only after the shopper confirms. The console empties the
conversation in every store (bot/console/erasure.py); this action then forgets
what the conversation remembered (identity included) and says what was deleted.
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


def erased_parts(erasure: Erasure) -> str:
    """The optional part of the answer: records kept by the human service.

    Args:
        erasure: The console's counts.

    Returns:
        ``、N条人工客服的记录`` or an empty string.
    """
    human = erasure["web_messages"] + erasure["handoffs"]
    return f"、{human}条人工客服的记录" if human else ""


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
        """Erase; on failure nothing changes and the shopper is told so."""
        try:
            erasure = await self.client.erase_conversation(tracker.sender_id)
        except Rejected as rejection:
            logger.warning("deletion request refused: %s", rejection.code)
            dispatcher.utter_message(response="utter_delete_data_unavailable")
            return []
        except BackendError as error:
            logger.warning("deletion request not done: %s", error)
            dispatcher.utter_message(response="utter_delete_data_failed")
            return []
        dispatcher.utter_message(
            response="utter_data_deleted",
            messages=erasure["messages"],
            remembered_values=erasure["remembered_values"],
            handoff_part=erased_parts(erasure),
        )
        return [ActiveLoop(None), AllSlotsReset()]
