"""Fixtures that run the real order and CRM apps on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.backends.common import db
from bot.backends.common.settings import BackendSettings
from bot.backends.common.timeutil import CHINA_TZ, fixed_clock
from bot.backends.crm.app import create_app as create_crm_app
from bot.backends.orders.app import create_app as create_orders_app
from bot.backends.seed.load import seed_crm, seed_orders
from tests.support.services import throwaway_postgres_database

TODAY = date(2024, 11, 20)
NOW = datetime(2024, 11, 20, 10, 0, tzinfo=CHINA_TZ)
TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@dataclass(frozen=True)
class DatabaseUrls:
    """Where each service keeps its data in one test."""

    kind: str
    orders: str
    crm: str


@dataclass
class Backends:
    """Both apps running on real sockets, with authenticated test clients."""

    kind: str
    orders: TestClient
    crm: TestClient

    @property
    def orders_url(self) -> str:
        """Base URL of the order service."""
        return str(self.orders.make_url("")).rstrip("/")

    @property
    def crm_url(self) -> str:
        """Base URL of the CRM service."""
        return str(self.crm.make_url("")).rstrip("/")


def settings(service: str, url: str, orders_url: str = "") -> BackendSettings:
    """Settings for an app under test: no startup migration or seeding."""
    return BackendSettings(
        service=service,  # type: ignore[arg-type]
        database_url=url,
        api_token=TOKEN,
        orders_url=orders_url or "http://127.0.0.1:1",
        upstream_timeout=2.0,
        migrate=False,
        seed_when_empty=False,
    )


async def prepare_database(service: str, url: str) -> None:
    """Migrate a database to head and (re)fill it with the demo data of TODAY."""
    engine = db.create_engine(url)
    try:
        await db.upgrade(engine, service)
        await (seed_orders if service == "orders" else seed_crm)(engine, TODAY)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """One throwaway PostgreSQL database per test run (both services share it)."""
    with throwaway_postgres_database() as url:
        yield url


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)]
)
def database_urls(request: pytest.FixtureRequest, tmp_path: Path) -> DatabaseUrls:
    """Database URLs for one test, on SQLite files or the throwaway PostgreSQL."""
    if request.param == "sqlite":
        return DatabaseUrls(
            "sqlite",
            f"sqlite:///{tmp_path / 'orders.db'}",
            f"sqlite:///{tmp_path / 'crm.db'}",
        )
    url = request.getfixturevalue("postgres_database")
    return DatabaseUrls("postgresql", url, url)


@pytest.fixture
async def backends(database_urls: DatabaseUrls) -> AsyncIterator[Backends]:
    """Start both seeded services on free ports; the CRM verifies with orders."""
    await prepare_database("orders", database_urls.orders)
    await prepare_database("crm", database_urls.crm)
    clock = fixed_clock(NOW)
    orders_app = create_orders_app(
        settings("orders", database_urls.orders), clock=clock
    )
    async with TestClient(TestServer(orders_app), headers=AUTH) as orders:
        orders_url = str(orders.make_url("")).rstrip("/")
        crm_app = create_crm_app(
            settings("crm", database_urls.crm, orders_url), clock=clock
        )
        async with TestClient(TestServer(crm_app), headers=AUTH) as crm:
            yield Backends(database_urls.kind, orders, crm)
