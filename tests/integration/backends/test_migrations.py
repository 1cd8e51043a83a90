"""Alembic stairway (up, down, up) and head equal to the models, on both databases."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

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


def _differences(connection: Connection, service: str) -> list[Any]:
    metadata: MetaData = METADATA[service]

    def ours(obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        # On PostgreSQL both services share one database: skip the other's tables.
        table = obj if type_ == "table" else getattr(obj, "table", None)
        return table is None or table.name in metadata.tables

    context = MigrationContext.configure(
        connection,
        opts={
            "compare_type": True,
            "version_table": db.version_table(service),
            "include_object": ours,
        },
    )
    return list(compare_metadata(context, metadata))


@pytest.mark.parametrize("service", ["orders", "crm"])
async def test_head_is_exactly_the_models(
    database_urls: DatabaseUrls, service: str
) -> None:
    engine = db.create_engine(getattr(database_urls, service))
    try:
        await db.upgrade(engine, service)
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences, service)
        assert differences == []
        await db.downgrade(engine, service, "base")
    finally:
        await engine.dispose()
