"""The action server endpoint, watched: failed calls are recorded for the turn."""

from __future__ import annotations

import asyncio
import logging
import os
from types import TracebackType
from typing import Any

import aiohttp
from rasa.core.agent import Agent
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.rasa_server.resilience.turn import ActionFailure, record_failure

logger = logging.getLogger(__name__)

# rasa_sdk answers 400 when a form validation rejects the shopper's answer:
# part of the dialogue, not a failure.
_REJECTION = 400
#: Seconds an action call may take (``ACTION_CALL_TIMEOUT``). Rasa's own limit is
#: 5 minutes, so a hung (not dead) action server kept the shopper waiting that
#: long; past this the turn fails and the channel apologises.
DEFAULT_CALL_TIMEOUT = 10.0
#: Seconds an idle pooled connection to the action server is kept: below the
#: action server's (Sanic's) keep-alive of 5 s, so a connection is never reused
#: just as the server closes it.
POOL_KEEPALIVE = 2.0


class _Lent:
    """``async with`` over the pooled session that leaves it open afterwards."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        return None


class WatchedActionEndpoint(EndpointConfig):
    """An ``EndpointConfig`` that records every failed call to the action server.

    The call still raises, so Rasa behaves as without it (the failed action's
    events are dropped and the turn ends); the channel then apologises. A call
    is given at most ``call_timeout`` seconds.
    """

    call_timeout: float = DEFAULT_CALL_TIMEOUT
    _pooled: aiohttp.ClientSession | None = None
    _pooled_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def watching(cls, endpoint: EndpointConfig) -> WatchedActionEndpoint:
        """The same endpoint (URL, token, headers …), watched.

        Args:
            endpoint: The action endpoint read from ``endpoints.yml``.

        Returns:
            A watched copy.
        """
        watched = cls(
            url=endpoint.url,
            params=endpoint.params,
            headers=endpoint.headers,
            basic_auth=endpoint.basic_auth,
            token=endpoint.token,
            token_name=endpoint.token_name,
            cafile=endpoint.cafile,
            type=endpoint.type,
            **endpoint.kwargs,
        )
        raw = os.environ.get("ACTION_CALL_TIMEOUT", "")
        try:
            watched.call_timeout = float(raw) if raw else DEFAULT_CALL_TIMEOUT
        except ValueError:
            logger.warning("ACTION_CALL_TIMEOUT=%r is not a number: ignored", raw)
        return watched

    def session(self) -> Any:
        """Lend this event loop's pooled client session (Rasa makes one per call).

        Rasa 3.6 opens a new ``aiohttp.ClientSession``, and so a new connection,
        for every action call; here one session per event loop keeps its
        connections to the action server alive between calls.
        """
        loop = asyncio.get_running_loop()
        pooled = self._pooled
        if pooled is None or pooled.closed or self._pooled_loop is not loop:
            auth = None
            if self.basic_auth:
                auth = aiohttp.BasicAuth(
                    self.basic_auth["username"], self.basic_auth["password"]
                )
            pooled = aiohttp.ClientSession(
                headers=self.headers,
                auth=auth,
                connector=aiohttp.TCPConnector(keepalive_timeout=POOL_KEEPALIVE),
                timeout=aiohttp.ClientTimeout(total=self.call_timeout),
            )
            self._pooled, self._pooled_loop = pooled, loop
        return _Lent(pooled)

    async def request(
        self,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Call the action server; record the failure before re-raising it."""
        body = kwargs.get("json")
        if "timeout" in kwargs:
            kwargs["timeout"] = min(kwargs["timeout"], self.call_timeout)
        try:
            return await super().request(
                method, subpath, content_type, compress, **kwargs
            )
        except ClientResponseError as error:
            if error.status != _REJECTION:
                self._record(body, error)
            raise
        except Exception as error:  # timeouts, refused connections, bad JSON …
            self._record(body, error)
            raise

    @staticmethod
    def _record(body: Any, error: Exception) -> None:
        action, intent = _action_and_intent(body)
        logger.warning("action server failed to run %s: %r", action, error)
        record_failure(ActionFailure(action, intent, repr(error)))


def _action_and_intent(body: Any) -> tuple[str, str]:
    """The action's name and the shopper's latest intent from a request body."""
    if not isinstance(body, dict):
        return "", ""
    tracker = body.get("tracker") or {}
    intent = ((tracker.get("latest_message") or {}).get("intent") or {}).get("name")
    return str(body.get("next_action") or ""), str(intent or "")


def watch_action_server(agent: Agent) -> None:
    """Make ``agent`` call its action server through a watched endpoint.

    Idempotent and cheap, so it can run on every turn (a model loaded through the
    HTTP API gets a new processor).

    Args:
        agent: The Rasa server's agent.
    """
    endpoint = agent.action_endpoint
    if endpoint is None:
        return
    if not isinstance(endpoint, WatchedActionEndpoint):
        endpoint = agent.action_endpoint = WatchedActionEndpoint.watching(endpoint)
    processor = agent.processor
    if processor is not None and processor.action_endpoint is not endpoint:
        processor.action_endpoint = endpoint
