"""Rasa's HTTP API as the console uses it: trackers, appended events, REST channel."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote

import aiohttp


class RasaError(Exception):
    """The Rasa server could not be reached or refused the request."""


class RasaClient:
    """Calls the Rasa server with its API token.

    Args:
        session: The console's HTTP session.
        base_url: ``RASA_URL``.
        token: ``RASA_TOKEN``.
        timeout: Seconds per call (the REST webhook waits for the bot's answer).
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token: str,
        timeout: float = 30.0,
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    def _conversation(self, conversation_id: str, tail: str) -> str:
        return f"{self._base_url}/conversations/{quote(conversation_id, safe='')}{tail}"

    async def _call(
        self, method: str, url: str, *, json: Any = None, bearer: bool = False
    ) -> Any:
        """Call Rasa with its token: as a bearer header, or (its HTTP API) a query."""
        params = None if bearer else {"token": self._token}
        headers = {"Authorization": f"Bearer {self._token}"} if bearer else None
        try:
            async with self._session.request(
                method,
                url,
                params=params,
                headers=headers,
                json=json,
                timeout=self._timeout,
            ) as response:
                if response.status != 200:
                    raise RasaError(f"{method} {url} answered {response.status}")
                return await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise RasaError(f"{method} {url}: {type(error).__name__}") from error

    async def tracker(self, conversation_id: str) -> dict[str, Any]:
        """The conversation's tracker with every event."""
        url = self._conversation(conversation_id, "/tracker")
        return cast(dict[str, Any], await self._call("GET", url))

    async def append_events(
        self, conversation_id: str, events: list[dict[str, Any]]
    ) -> None:
        """Append events to the conversation (no channel side effects)."""
        url = self._conversation(conversation_id, "/tracker/events")
        await self._call("POST", url, json=events)

    async def parse(self, text: str) -> dict[str, Any]:
        """What the loaded model makes of ``text`` (no conversation is touched)."""
        url = f"{self._base_url}/model/parse"
        return cast(dict[str, Any], await self._call("POST", url, json={"text": text}))

    async def send_web(self, chat_id: str, message: str) -> list[dict[str, Any]]:
        """Send a web-chat shopper's message (conversation ``web:<chat_id>``).

        Args:
            chat_id: The id the console issued to the shopper's session.
            message: What the shopper wrote.

        Returns:
            The bot's answers.
        """
        url = f"{self._base_url}/webhooks/web/webhook"
        body = {"sender": chat_id, "message": message}
        answer = await self._call("POST", url, json=body, bearer=True)
        return cast(list[dict[str, Any]], answer or [])
