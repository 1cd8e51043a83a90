"""Wrap a channel's ``on_new_message``: capped text in, an apology for a failed turn."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

from bot.rasa_server.resilience.endpoint import watch_action_server
from bot.rasa_server.resilience.message_cap import (
    cap_message,
    max_message_chars,
    truncation_notice,
)
from bot.rasa_server.resilience.replies import apology_for
from bot.rasa_server.resilience.turn import watch_turn

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


def guard_turns(
    on_new_message: OnNewMessage,
    agent: Callable[[], Agent | None],
    max_chars: int | None = None,
) -> OnNewMessage:
    """``on_new_message`` that caps the text and apologises when an action failed.

    A message longer than ``max_chars`` is cut before Rasa sees it (its cost
    grows faster than its length), the cut is recorded in the user message's
    metadata, and the shopper is told in Chinese that only the first part was
    read (:mod:`bot.rasa_server.resilience.message_cap`).

    Rasa 3.6 logs a failed custom action and drops its events, so the shopper
    would get nothing (or half an answer); the conversation itself stays as it
    was before the failed action, and the shopper can send the message again.

    Args:
        on_new_message: The handler Rasa gives the channel.
        agent: Returns the server's agent (``None`` before it is loaded); its
            action endpoint is watched before each turn.
        max_chars: Characters of a message Rasa reads (default:
            ``MAX_MESSAGE_CHARS`` from the environment, read now, or 2,000).

    Returns:
        The guarded handler.
    """
    limit = max_message_chars() if max_chars is None else max_chars

    async def guarded(message: UserMessage) -> Any:
        message = cap_message(message, limit)
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
        notice = truncation_notice(message)
        if notice is not None:
            await message.output_channel.send_text_message(message.sender_id, notice)
        return result

    return guarded
