"""Checks that a localhost service (PostgreSQL, Redis, RabbitMQ) is reachable.

Tests that need a real service skip when it is down on a developer's machine,
but fail under CI (``CI`` set): a green CI run must have exercised them.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import pytest

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def in_ci() -> bool:
    """Tell whether the tests run under CI (``CI`` set, not empty, 0 or false)."""
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def is_reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """Tell whether something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def unavailable(reason: str) -> None:
    """Skip the test, or fail it under CI, because a service is missing."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set: service tests must run, not skip)")
    pytest.skip(reason)


def require_service(name: str, host: str, port: int) -> None:
    """Skip (or fail under CI) unless ``name`` listens on ``host:port``."""
    if not is_reachable(host, port):
        unavailable(f"{name} is not reachable on {host}:{port}")


def service_fixture(
    name: str,
    host: str,
    port: int,
    *,
    scope: Literal["session", "package", "module", "class", "function"] = "session",
) -> Any:
    """Build a fixture that requires a service, e.g. ``redis = service_fixture(...)``.

    Example:
        ``rabbitmq = service_fixture("RabbitMQ", "127.0.0.1", 5672)`` in a
        conftest, then ``def test_x(rabbitmq): ...``.
    """

    @pytest.fixture(scope=scope)
    def _fixture() -> None:
        require_service(name, host, port)

    return _fixture


def postgres_url() -> str:
    """URL of the test PostgreSQL server (``TEST_POSTGRES_URL`` overrides)."""
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def require_postgres() -> str:
    """Skip (or fail under CI) unless the test PostgreSQL server is reachable."""
    url = postgres_url()
    parts = urlsplit(url)
    require_service("PostgreSQL", parts.hostname or "127.0.0.1", parts.port or 5432)
    return url


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def throwaway_postgres_database(prefix: str = "xiaoke_test") -> Iterator[str]:
    """Create an empty PostgreSQL database for the test run and drop it afterwards.

    Call from synchronous code (a session fixture): it runs its own event loop.

    Yields:
        A ``postgresql://`` URL of the new database.
    """
    admin_url = require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    except Exception as error:
        unavailable(f"cannot create a PostgreSQL test database: {error}")
    try:
        yield _with_database(admin_url, name)
    finally:
        asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
