"""The console's Alembic history: stairway, exact schema, create_all databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from bot.backends.common.db import create_engine
from bot.console import migrate
from bot.console.models import metadata, staff
from bot.console.repository import ConsoleRepository
from tests.support.services import throwaway_postgres_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it, for one test."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
        return
    with throwaway_postgres_database("xiaoke_console_migrations") as url:
        yield url


def revisions() -> list[tuple[str, str]]:
    """(revision, previous revision or 'base'), first to last."""
    script = ScriptDirectory.from_config(migrate.alembic_config())
    steps = [
        (r.revision, str(r.down_revision or "base"))
        for r in script.walk_revisions("base", "heads")
    ]
    return list(reversed(steps))


def _differences(connection: sa.engine.Connection) -> list:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "version_table": migrate.VERSION_TABLE},
    )
    return list(compare_metadata(context, metadata))


async def schema_differences(engine) -> list:
    async with engine.connect() as connection:
        return await connection.run_sync(_differences)


async def table_names(engine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: sa.inspect(c).get_table_names()))


async def test_stairway_and_head_is_exactly_the_models(empty_database):
    engine = create_engine(empty_database)
    try:
        steps = revisions()
        assert steps, "no migrations found"
        for revision, previous in steps:
            await migrate.upgrade(engine, revision)
            await migrate.downgrade(engine, previous)
            await migrate.upgrade(engine, revision)
            assert await migrate.current_revision(engine) == revision
        # Head makes exactly what the models declare: tables, columns, indexes.
        assert await schema_differences(engine) == []
        await migrate.downgrade(engine, "base")
        assert await migrate.current_revision(engine) is None
        assert not set(metadata.tables) & await table_names(engine)
    finally:
        await engine.dispose()


async def test_a_database_made_by_create_all_is_stamped_and_kept(empty_database):
    engine = create_engine(empty_database)
    try:
        # What create_all made before migrations: the initial revision's
        # tables (the models have grown since), without a version table.
        await migrate.upgrade(engine, migrate.INITIAL_REVISION)
        async with engine.begin() as connection:
            await connection.execute(sa.text(f"DROP TABLE {migrate.VERSION_TABLE}"))
            await connection.execute(
                staff.insert().values(
                    username="alice", password_hash="x", created_at=sa.func.now()
                )
            )
        await ConsoleRepository(engine).create_tables()  # what start-up runs
        assert await migrate.current_revision(engine) == revisions()[-1][0]
        assert await ConsoleRepository(engine).password_hash("alice") == "x"
        await migrate.migrate(engine)  # a second start changes nothing
        assert await migrate.current_revision(engine) == revisions()[-1][0]
    finally:
        await engine.dispose()


async def test_a_half_made_database_is_refused(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(staff.create)
        with pytest.raises(migrate.UnknownSchema):
            await migrate.migrate(engine)
        assert await migrate.current_revision(engine) is None
    finally:
        await engine.dispose()
