"""Typed client of the agent console's internal API (handoff queue, erasure)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, cast

from actions.clients.http import BackendClient, ClientSettings


class HandoffSummary(TypedDict):
    """What the agent reads first: why, what was asked, what the bot knew."""

    reason: str
    reason_label: str
    intents: list[str]
    slots: dict[str, Any]
    order_numbers: list[str]
    last_message: str


class HandoffRequest(TypedDict):
    """Body of ``POST /internal/handoffs``."""

    conversation_id: str
    channel: str
    reason: str
    summary: HandoffSummary
    customer_id: str | None


class QueueTicket(TypedDict):
    """The console's answer: where the conversation is in the queue.

    ``position`` counts the conversations waiting before this one; outside
    service hours ``service_open`` is false and ``opens_at`` says when agents
    are back (``HH:MM``, China time).
    """

    handoff_id: int
    position: int
    estimated_wait_minutes: int
    service_open: bool
    opens_at: str
    service_hours: str


class Erasure(TypedDict):
    """What ``POST /internal/privacy/erase`` emptied (counts), and where.

    ``erased`` and ``failed`` name the stores (``tracker``, ``analytics``,
    ``console``) emptied and those that could not be reached; the counts only
    cover the emptied ones.
    """

    messages: int
    remembered_values: int
    web_messages: int
    handoffs: int
    erased: list[str]
    failed: list[str]


@dataclass(frozen=True)
class ConsoleSettings:
    """Where the console is (``CONSOLE_URL``) and its token (``CONSOLE_API_TOKEN``).

    Attributes:
        url: Base URL of the agent console.
        token: Bearer token of its internal API.
        timeout: Seconds for the whole request (``CONSOLE_TIMEOUT``).
    """

    url: str = "http://127.0.0.1:8080"
    token: str = ""
    timeout: float = 3.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ConsoleSettings:
        """Read the settings from environment variables, with safe defaults."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            url=env.get("CONSOLE_URL") or defaults.url,
            token=env.get("CONSOLE_API_TOKEN", ""),
            timeout=float(env.get("CONSOLE_TIMEOUT") or defaults.timeout),
        )


class ConsoleClient(BackendClient):
    """Calls the console's internal API; raises the errors in ``errors``.

    Args:
        settings: Where the console is; read from the environment when omitted.
    """

    def __init__(self, settings: ConsoleSettings | None = None) -> None:
        settings = settings or ConsoleSettings.from_env()
        http = ClientSettings(token=settings.token, timeout=settings.timeout)
        super().__init__("console", settings.url, http)

    async def request_handoff(self, request: HandoffRequest) -> QueueTicket:
        """Put a conversation in the handoff queue (idempotent per conversation).

        Raises:
            BackendUnavailable: The console is down, slow or refused the token.
            Rejected: The request was malformed.
        """
        body = cast(Mapping[str, Any], request)
        return cast(QueueTicket, await self.post("/internal/handoffs", body))

    async def erase_conversation(self, conversation_id: str) -> Erasure:
        """Empty the conversation everywhere it is stored (a deletion request).

        A store that is down does not fail the request: it is listed in the
        answer's ``failed``.

        Raises:
            BackendUnavailable: The console is down or slow.
            Rejected: The request was malformed.
        """
        body = {"conversation_id": conversation_id}
        return cast(Erasure, await self.post("/internal/privacy/erase", body))
