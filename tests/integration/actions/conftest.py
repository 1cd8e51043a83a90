"""Actions against the real order and CRM apps (SQLite), reached over HTTP."""

from collections.abc import AsyncIterator

import pytest

from actions.clients.http import close_session
from actions.common import reset_clients
from tests.support.backends import TOKEN, Backends, DatabaseUrls
from tests.support.backends import backends as backends


@pytest.fixture
def database_urls(tmp_path) -> DatabaseUrls:
    """Action tests use SQLite; the backends' own tests cover PostgreSQL."""
    return DatabaseUrls(
        "sqlite",
        f"sqlite:///{tmp_path / 'orders.db'}",
        f"sqlite:///{tmp_path / 'crm.db'}",
    )


@pytest.fixture
async def services(backends: Backends, monkeypatch) -> AsyncIterator[Backends]:
    monkeypatch.setenv("ORDERS_URL", backends.orders_url)
    monkeypatch.setenv("CRM_URL", backends.crm_url)
    monkeypatch.setenv("BACKEND_API_TOKEN", TOKEN)
    monkeypatch.setenv("BACKEND_RETRIES", "0")
    reset_clients()
    yield backends
    await close_session()
    reset_clients()


@pytest.fixture
async def services_down(monkeypatch) -> AsyncIterator[None]:
    """Clients pointed at a port where nothing listens."""
    monkeypatch.setenv("ORDERS_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CRM_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("BACKEND_API_TOKEN", TOKEN)
    monkeypatch.setenv("BACKEND_RETRIES", "0")
    monkeypatch.setenv("BACKEND_TIMEOUT", "0.5")
    reset_clients()
    yield
    await close_session()
    reset_clients()
