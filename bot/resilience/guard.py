"""Wrap a channel's ``on_new_message`` so a failed turn ends with an apology."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

from bot.resilience.endpoint import watch_action_server
from bot.resilience.replies import apology_for
from bot.resilience.turn import watch_turn

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def guard_turns(
    on_new_message: OnNewMessage, agent: Callable[[], Agent | None]
) -> OnNewMessage:
    """``on_new_message`` that apologises in Chinese when an action failed.

    Rasa 3.6 logs a failed custom action and drops its events, so the shopper
    would get nothing (or half an answer); the conversation itself stays as it
    was before the failed action, and the shopper can send the message again.

    Args:
        on_new_message: The handler Rasa gives the channel.
        agent: Returns the server's agent (``None`` before it is loaded); its
            action endpoint is watched before each turn.

    Returns:
        The guarded handler.
    """

    async def guarded(message: UserMessage) -> Any:
        current = agent()
        if current is not None:
            watch_action_server(current)
        with watch_turn() as turn:
            result = await on_new_message(message)
        apology = apology_for(turn)
        if apology is not None:
            logger.warning(
                "turn of %s: %d action(s) failed (%s); apologised",
                message.sender_id,
                len(turn.failures),
                ", ".join(failure.action for failure in turn.failures),
            )
            await message.output_channel.send_text_message(message.sender_id, apology)
        return result

    return guarded
