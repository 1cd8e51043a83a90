"""A turn whose custom action failed ends with a Chinese apology, on every channel."""

from __future__ import annotations

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.rasa_server.channels.wechat import WeChatCollector
from bot.rasa_server.resilience.endpoint import WatchedActionEndpoint
from bot.rasa_server.resilience.guard import guard_turns
from bot.rasa_server.resilience.replies import (
    ACTION_SERVER_DOWN_REPLY,
    HANDOFF_DOWN_REPLY,
)
from bot.rasa_server.resilience.turn import ActionFailure, record_failure


def body(action: str, intent: str = "inform") -> dict:
    return {
        "next_action": action,
        "tracker": {"latest_message": {"intent": {"name": intent}}},
    }


async def run_turn(output, action_error: Exception | None, intent: str = "inform"):
    async def rasa(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "好的")
        if action_error is not None:
            record_failure(
                ActionFailure("validate_loyalty_form", intent, repr(action_error))
            )

    handler = guard_turns(rasa, lambda: None)
    await handler(UserMessage("XK202411110001", output, "shopper-1"))
    return [m["text"] for m in output.messages]


@pytest.mark.parametrize("output", [CollectingOutputChannel, WeChatCollector])
async def test_failed_turn_ends_with_the_apology(output):
    texts = await run_turn(output(), ConnectionRefusedError())
    assert texts == ["好的", ACTION_SERVER_DOWN_REPLY]


async def test_turn_without_failure_is_left_alone():
    assert await run_turn(CollectingOutputChannel(), None) == ["好的"]


async def test_asking_for_a_person_gets_the_handoff_apology():
    texts = await run_turn(CollectingOutputChannel(), OSError(), "human_handoff")
    assert texts[-1] == HANDOFF_DOWN_REPLY


async def failing_turn(monkeypatch, error: Exception) -> list[str]:
    """A turn whose validate_loyalty_form call fails with ``error``."""
    endpoint = WatchedActionEndpoint.watching(
        EndpointConfig(url="http://127.0.0.1:9/webhook", token="secret")
    )
    assert (endpoint.url, endpoint.token) == ("http://127.0.0.1:9/webhook", "secret")

    async def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(EndpointConfig, "request", fail)

    async def rasa(message: UserMessage) -> None:
        with pytest.raises(type(error)):
            await endpoint.request(json=body("validate_loyalty_form"))

    output = CollectingOutputChannel()
    await guard_turns(rasa, lambda: None)(UserMessage("hi", output, "shopper-2"))
    return [m["text"] for m in output.messages]


async def test_endpoint_records_a_refused_connection(monkeypatch):
    texts = await failing_turn(monkeypatch, ConnectionRefusedError())
    assert texts == [ACTION_SERVER_DOWN_REPLY]


async def test_endpoint_records_a_server_error(monkeypatch):
    texts = await failing_turn(monkeypatch, ClientResponseError(500, "Error", ""))
    assert texts == [ACTION_SERVER_DOWN_REPLY]


async def test_form_rejection_is_no_failure(monkeypatch):
    rejection = ClientResponseError(400, "Bad Request", '{"action_name": "x"}')
    assert await failing_turn(monkeypatch, rejection) == []
