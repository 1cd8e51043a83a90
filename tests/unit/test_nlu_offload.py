"""The NLU graph runs in its own thread, so the event loop keeps serving others."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass
from typing import Any

from bot.rasa_server.nlu_offload import THREAD_NAME, install_nlu_offload


@dataclass
class Message:
    text: str
    sender_id: str = "shopper"


class Processor:
    """Stands in for Rasa's ``MessageProcessor``: ``parse_message`` calls the graph."""

    http_interpreter = None

    def __init__(self) -> None:
        self.graph_threads: list[str] = []

    def _parse_message_with_graph(
        self, message: Message, tracker: Any, only_output_properties: bool = True
    ) -> dict[str, Any]:
        self.graph_threads.append(threading.current_thread().name)
        time.sleep(0.2)  # a slow model: blocks whichever thread runs it
        return {"text": message.text, "intent": {"name": "greet"}, "tracker": tracker}

    async def parse_message(
        self,
        message: Message,
        tracker: Any = None,
        only_output_properties: bool = True,
    ) -> dict[str, Any]:
        parsed = self._parse_message_with_graph(
            message, tracker, only_output_properties
        )
        parsed["post_processed"] = True
        return parsed


class Remote(Processor):
    """A processor with an HTTP interpreter: nothing is offloaded."""

    http_interpreter = object()


install_nlu_offload(Processor)


async def test_the_graph_runs_once_in_the_nlu_thread_and_rasa_finishes_parsing() -> (
    None
):
    processor = Processor()

    parsed = await processor.parse_message(Message("你好"), tracker="t")

    assert parsed == {
        "text": "你好",
        "intent": {"name": "greet"},
        "tracker": "t",
        "post_processed": True,
    }
    assert len(processor.graph_threads) == 1
    assert processor.graph_threads[0].startswith(THREAD_NAME)


async def test_the_loop_serves_others_while_a_message_is_parsed() -> None:
    processor = Processor()
    served_at: list[float] = []

    async def other_shopper() -> None:
        await asyncio.sleep(0.02)
        served_at.append(time.monotonic())

    started = time.monotonic()
    parse = asyncio.create_task(processor.parse_message(Message("在吗")))
    await asyncio.gather(parse, other_shopper())
    finished = time.monotonic()

    assert served_at and served_at[0] - started < 0.15
    assert finished - started >= 0.2


async def test_concurrent_parses_each_get_their_own_result() -> None:
    processor = Processor()

    results = await asyncio.gather(
        *(processor.parse_message(Message(f"第{i}条")) for i in range(4))
    )

    assert [r["text"] for r in results] == [f"第{i}条" for i in range(4)]


async def test_installing_twice_does_not_wrap_twice() -> None:
    install_nlu_offload(Processor)
    processor = Processor()

    await processor.parse_message(Message("你好"))

    assert len(processor.graph_threads) == 1


async def test_a_remote_interpreter_is_left_to_rasa() -> None:
    processor = Remote()

    parsed = await processor.parse_message(Message("你好"))

    assert parsed["post_processed"] is True
    assert processor.graph_threads == [threading.current_thread().name]
