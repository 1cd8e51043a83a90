"""A queue and a PostgreSQL database of each consumer test's own."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.platform.db import dispose_engines
from tests.integration.analytics.queues import RABBITMQ, delete_broker_objects
from tests.support.services import require_service, throwaway_postgres_database


@pytest.fixture
def broker_names():
    """A queue and exchange of this test's own, deleted afterwards."""
    require_service("RabbitMQ", *RABBITMQ)
    suffix = uuid.uuid4().hex[:10]
    names = (f"xiaoke-analytics-test-{suffix}", f"xiaoke-analytics-test-{suffix}")
    yield names
    asyncio.run(delete_broker_objects(*names))


@pytest.fixture
def analytics_db():
    with throwaway_postgres_database("xiaoke_analytics_sink") as url:
        yield url
        dispose_engines()
