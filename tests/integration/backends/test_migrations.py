"""Alembic stairway: every migration up, down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from bot.backends.common import db
from bot.backends.crm.models import metadata as crm_metadata
from bot.backends.orders.models import metadata as orders_metadata
from tests.support.backends import DatabaseUrls

METADATA = {"orders": orders_metadata, "crm": crm_metadata}


def revisions(service: str) -> list[tuple[str, str]]:
    """(revision, previous revision or 'base') from first to last."""
    script = ScriptDirectory.from_config(db.alembic_config(service))
    steps = [
        (r.revision, str(r.down_revision or "base"))
        for r in script.walk_revisions("base", "heads")
    ]
    return list(reversed(steps))


async def table_names(engine: object) -> set[str]:
    async with engine.connect() as connection:  # type: ignore[attr-defined]
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


@pytest.mark.parametrize("service", ["orders", "crm"])
async def test_stairway(database_urls: DatabaseUrls, service: str) -> None:
    url = getattr(database_urls, service)
    engine = db.create_engine(url)
    try:
        steps = revisions(service)
        assert steps, "no migrations found"
        for revision, previous in steps:
            await db.upgrade(engine, service, revision)
            await db.downgrade(engine, service, previous)
            await db.upgrade(engine, service, revision)
            assert await db.current_revision(engine, service) == revision
        # Head creates exactly the tables the models declare.
        expected = set(METADATA[service].tables)
        assert expected <= await table_names(engine)
        await db.downgrade(engine, service, "base")
        assert await db.current_revision(engine, service) is None
        assert not expected & await table_names(engine)
    finally:
        await engine.dispose()
