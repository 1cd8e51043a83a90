"""Shared HTTP plumbing of the backend clients: settings, session, retries, errors."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from actions.clients.errors import (
    BackendUnauthorized,
    BackendUnavailable,
    NotFound,
    Rejected,
)

logger = logging.getLogger(__name__)

_session: aiohttp.ClientSession | None = None
_session_loop: asyncio.AbstractEventLoop | None = None


@dataclass(frozen=True)
class ClientSettings:
    """Where the backends are and how patiently to call them.

    Attributes:
        orders_url: Base URL of the order service (``ORDERS_URL``).
        crm_url: Base URL of the CRM service (``CRM_URL``).
        token: Shared bearer token (``BACKEND_API_TOKEN``).
        timeout: Seconds for a whole request (``BACKEND_TIMEOUT``).
        retries: Extra attempts for idempotent reads (``BACKEND_RETRIES``).
        backoff: First retry delay in seconds, doubled each time
            (``BACKEND_RETRY_BACKOFF``).
    """

    orders_url: str = "http://127.0.0.1:8001"
    crm_url: str = "http://127.0.0.1:8002"
    token: str = ""
    timeout: float = 2.0
    retries: int = 2
    backoff: float = 0.2

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientSettings:
        """Read the settings from environment variables, with safe defaults."""
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            orders_url=env.get("ORDERS_URL") or defaults.orders_url,
            crm_url=env.get("CRM_URL") or defaults.crm_url,
            token=env.get("BACKEND_API_TOKEN", ""),
            timeout=float(env.get("BACKEND_TIMEOUT") or defaults.timeout),
            retries=int(env.get("BACKEND_RETRIES") or defaults.retries),
            backoff=float(env.get("BACKEND_RETRY_BACKOFF") or defaults.backoff),
        )


async def get_session() -> aiohttp.ClientSession:
    """Return the process's shared session, creating it in the running loop.

    A session belongs to the loop it was made in; a new loop (tests) gets a new one.
    """
    global _session, _session_loop
    loop = asyncio.get_running_loop()
    if _session is None or _session.closed or _session_loop is not loop:
        _session = aiohttp.ClientSession(raise_for_status=False)
        _session_loop = loop
    return _session


async def close_session() -> None:
    """Close the shared session (at action-server shutdown and in tests)."""
    global _session, _session_loop
    if _session is not None and not _session.closed:
        await _session.close()
    _session = None
    _session_loop = None


def segment(value: str) -> str:
    """Quote a value for use as one path segment."""
    return quote(value, safe="")


class BackendClient:
    """Base of the typed clients: one request, typed errors, retries for reads.

    Args:
        service: ``"orders"``, ``"catalogue"`` or ``"crm"`` (named in errors and
            logs).
        base_url: The service's base URL.
        settings: Token, timeout and retry policy.
    """

    def __init__(self, service: str, base_url: str, settings: ClientSettings) -> None:
        self.service = service
        self.base_url = base_url.rstrip("/")
        self.settings = settings
        self._timeout = aiohttp.ClientTimeout(total=settings.timeout)

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """GET a JSON document, retrying with backoff while the service is unavailable.

        Raises:
            NotFound, Rejected: Not retried.
            BackendUnavailable: After the last attempt.
        """
        attempts = self.settings.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                return await self._request("GET", path, params=params)
            except BackendUnauthorized:
                raise
            except BackendUnavailable as error:
                if attempt == attempts:
                    raise
                delay = self.settings.backoff * 2 ** (attempt - 1)
                logger.warning(
                    "%s GET %s failed (%s); retry %d in %.2fs",
                    self.service,
                    path,
                    error.message,
                    attempt,
                    delay,
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def post(
        self,
        path: str,
        body: Mapping[str, Any],
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """POST JSON once; writes are never retried here (the caller decides)."""
        return await self._request("POST", path, json=body, headers=headers)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        session = await get_session()
        all_headers = {"Authorization": f"Bearer {self.settings.token}"}
        all_headers.update(headers or {})
        try:
            async with session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers=all_headers,
                timeout=self._timeout,
            ) as response:
                status = response.status
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = None
        except asyncio.TimeoutError:
            raise BackendUnavailable(
                self.service,
                f"{method} {path} timed out after {self.settings.timeout}s",
            ) from None
        except aiohttp.ClientError as error:
            raise BackendUnavailable(
                self.service, f"{method} {path} failed: {error!r}"
            ) from None
        if 200 <= status < 300 and body is not None:
            return body
        raise self._error(status, body, f"{method} {path}")

    def _error(self, status: int, body: Any, what: str) -> Exception:
        error = body.get("error") if isinstance(body, dict) else None
        code = (
            str(error.get("code", "unknown")) if isinstance(error, dict) else "unknown"
        )
        message = (
            str(error.get("message", "")) if isinstance(error, dict) else ""
        ) or f"{what} answered {status}"
        if status in (401, 403):
            return BackendUnauthorized(
                self.service, f"{what}: token refused (check BACKEND_API_TOKEN)", status
            )
        if status == 429:
            return BackendUnavailable(self.service, f"{what} is rate limited", status)
        if status == 404:
            return NotFound(self.service, code, message)
        if 400 <= status < 500:
            details = error.get("details") if isinstance(error, dict) else None
            return Rejected(
                self.service,
                code,
                message,
                status,
                details if isinstance(details, dict) else None,
            )
        return BackendUnavailable(self.service, f"{what} answered {status}", status)
