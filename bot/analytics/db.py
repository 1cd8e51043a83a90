"""Synchronous SQLAlchemy engines for the analytics databases, one per URL."""

from __future__ import annotations

import threading
from collections.abc import Mapping

import sqlalchemy as sa

_ASYNC_DRIVERS = {
    "postgresql+asyncpg://": "postgresql://",
    "postgres://": "postgresql://",
    "sqlite+aiosqlite://": "sqlite://",
}

_engines: dict[str, sa.engine.Engine] = {}
_lock = threading.Lock()


def sync_url(url: str) -> str:
    """The synchronous form of a database URL.

    The console and the backends keep async URLs (``postgresql+asyncpg://``,
    ``sqlite+aiosqlite://``); analytics reads with the synchronous drivers
    (psycopg2, sqlite3), so either form is accepted.

    Args:
        url: ``sqlite:///…``, ``postgresql://…`` or their async forms.
    """
    for prefix, plain in _ASYNC_DRIVERS.items():
        if url.startswith(prefix):
            return plain + url[len(prefix) :]
    return url


def analytics_events_url(environ: Mapping[str, str]) -> str | None:
    """Where the consumer keeps ``analytics_events`` (production profile).

    ``ANALYTICS_DB_URL``, else ``CONSOLE_DATABASE_URL``: the consumer writes
    there, and the console, deletion requests and the retention command must
    look in the same place.
    """
    url = environ.get("ANALYTICS_DB_URL") or environ.get("CONSOLE_DATABASE_URL")
    return url or None


def engine_for(url: str) -> sa.engine.Engine:
    """The shared engine of ``url`` (created on first use, thread-safe)."""
    key = sync_url(url)
    with _lock:
        engine = _engines.get(key)
        if engine is None:
            engine = sa.create_engine(key, pool_pre_ping=True, future=True)
            _engines[key] = engine
        return engine


def dispose_engines() -> None:
    """Close every cached engine (tests, process shutdown)."""
    with _lock:
        engines = list(_engines.values())
        _engines.clear()
    for engine in engines:
        engine.dispose()
