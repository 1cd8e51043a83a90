"""The ``kf/sync_msg`` cursor of each kf account, in Redis or a small SQLite file.

A lost cursor means pulling the last three days again (dedup keeps answers
single, but the pull is slow), so it outlives restarts: Redis when several
server processes share it, else SQLite under ``WECOM_STATE_DIR``.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any, Protocol


class CursorStore(Protocol):
    """Where each open_kfid's cursor lives."""

    async def get(self, open_kfid: str) -> str:
        """The stored cursor ("" when none)."""

    async def put(self, open_kfid: str, cursor: str) -> None:
        """Store the cursor."""

    async def close(self) -> None:
        """Release connections."""


class SqliteCursorStore:
    """The embedded store: one row per open_kfid in ``<directory>/cursors.sqlite3``.

    Args:
        directory: Created on first use.
    """

    def __init__(self, directory: Path) -> None:
        self.path = Path(directory) / "cursors.sqlite3"

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=5.0)
        connection.execute(
            "CREATE TABLE IF NOT EXISTS kf_cursor"
            " (open_kfid TEXT PRIMARY KEY, cursor TEXT NOT NULL)"
        )
        return connection

    def _get(self, open_kfid: str) -> str:
        with self._connect() as connection:
            row = connection.execute(
                "SELECT cursor FROM kf_cursor WHERE open_kfid = ?", (open_kfid,)
            ).fetchone()
        return str(row[0]) if row else ""

    def _put(self, open_kfid: str, cursor: str) -> None:
        with self._connect() as connection:
            connection.execute(
                "INSERT INTO kf_cursor (open_kfid, cursor) VALUES (?, ?)"
                " ON CONFLICT(open_kfid) DO UPDATE SET cursor = excluded.cursor",
                (open_kfid, cursor),
            )

    async def get(self, open_kfid: str) -> str:
        """The stored cursor ("" when none)."""
        return await asyncio.to_thread(self._get, open_kfid)

    async def put(self, open_kfid: str, cursor: str) -> None:
        """Store the cursor."""
        await asyncio.to_thread(self._put, open_kfid, cursor)

    async def close(self) -> None:
        """Nothing stays open between calls."""


class RedisCursorStore:
    """Shared store for several server processes (``REDIS_URL``).

    Args:
        url: A ``redis://`` URL.
        prefix: Prepended to every key.
        client: A ``redis.asyncio.Redis`` to use instead of connecting to ``url``.
    """

    def __init__(
        self, url: str, prefix: str = "xiaoke:wecom:cursor:", client: Any = None
    ) -> None:
        self._url = url
        self._prefix = prefix
        self._client = client

    def _redis(self) -> Any:
        if self._client is None:
            from redis import asyncio as redis_asyncio

            self._client = redis_asyncio.from_url(self._url, decode_responses=True)
        return self._client

    async def get(self, open_kfid: str) -> str:
        """The stored cursor ("" when none)."""
        value = await self._redis().get(self._prefix + open_kfid)
        return "" if value is None else str(value)

    async def put(self, open_kfid: str, cursor: str) -> None:
        """Store the cursor (no expiry: it is the account's reading position)."""
        await self._redis().set(self._prefix + open_kfid, cursor)

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.close()
            self._client = None


def create_cursor_store(redis_url: str | None, directory: Path) -> CursorStore:
    """Redis when ``REDIS_URL`` is set, SQLite under ``directory`` otherwise."""
    if redis_url:
        return RedisCursorStore(redis_url)
    return SqliteCursorStore(directory)
