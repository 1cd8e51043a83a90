"""NLU inference off Sanic's event loop.

Rasa 3.6's ``MessageProcessor.parse_message`` runs the NLU graph (tokenising,
featurising, DIET and the ResponseSelector in TensorFlow) synchronously on the
event loop: while one shopper's message is parsed, no other request is read or
answered, not even the WeChat channel's ``success`` after its reply budget,
which then reaches WeChat late under load (issue 17). Here the graph runs in one
dedicated thread (TensorFlow releases the GIL while it computes), and the loop
goes on serving other shoppers meanwhile. One thread, so the NLU components
never run concurrently with each other; the tracker the graph reads belongs to
a conversation whose lock the caller holds.

Rasa offers no hook for this, so ``parse_message`` is wrapped before Rasa starts
(``bot.rasa_server.launcher``); the wrapper computes the graph's result in the
thread and hands it to Rasa's own ``parse_message``, which does everything else
as before.
"""

from __future__ import annotations

import asyncio
import functools
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any

#: The graph's result for the parse in progress on this task, computed in the thread.
_PARSED: ContextVar[dict[str, Any] | None] = ContextVar("xiaoke_parsed", default=None)

THREAD_NAME = "xiaoke-nlu"


@functools.cache
def _executor() -> ThreadPoolExecutor:
    # Made on first use, in the process that parses (Sanic forks its workers).
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix=THREAD_NAME)


def install_nlu_offload(processor_class: Any = None) -> None:
    """Make ``parse_message`` run the NLU graph in a thread of its own.

    Args:
        processor_class: The class to change; Rasa's ``MessageProcessor`` by
            default (a stand-in in tests).
    """
    if processor_class is None:
        from rasa.core.processor import MessageProcessor

        processor_class = MessageProcessor
    if getattr(processor_class, "_xiaoke_nlu_offload", False):
        return
    original_parse = processor_class.parse_message
    original_graph = processor_class._parse_message_with_graph

    def parse_with_graph(
        self: Any, message: Any, tracker: Any, only_output_properties: bool = True
    ) -> dict[str, Any]:
        parsed = _PARSED.get()
        if parsed is not None:
            return parsed
        return original_graph(self, message, tracker, only_output_properties)

    async def parse_message(
        self: Any,
        message: Any,
        tracker: Any = None,
        only_output_properties: bool = True,
    ) -> dict[str, Any]:
        if getattr(self, "http_interpreter", None) is not None:
            return await original_parse(self, message, tracker, only_output_properties)
        if tracker is None:
            from rasa.shared.core.trackers import DialogueStateTracker

            tracker = DialogueStateTracker.from_events(message.sender_id, [])
        loop = asyncio.get_running_loop()
        parsed = await loop.run_in_executor(
            _executor(),
            original_graph,
            self,
            message,
            tracker,
            only_output_properties,
        )
        token = _PARSED.set(parsed)
        try:
            return await original_parse(self, message, tracker, only_output_properties)
        finally:
            _PARSED.reset(token)

    processor_class._parse_message_with_graph = parse_with_graph
    processor_class.parse_message = parse_message
    processor_class._xiaoke_nlu_offload = True
