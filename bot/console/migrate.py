"""Bring the console's database to the newest schema (Alembic).

The console runs :func:`migrate` at start-up. A database made before the
console had migrations (``metadata.create_all``: the tables but no version
table) is stamped at the initial revision first, which created exactly those
tables, and then upgraded like any other.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.platform.db import async_url as normalize_database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Its own name: the console's database may be shared with other services.
VERSION_TABLE = "alembic_version_console"
#: The revision that created the tables ``create_all`` used to make.
INITIAL_REVISION = "console_0001"
INITIAL_TABLES = frozenset(
    {"console_staff", "console_handoffs", "console_web_messages"}
)


class UnknownSchema(RuntimeError):
    """Some console tables exist, others not, and no revision is recorded."""


def alembic_config(url: str | None = None) -> Config:
    """The Alembic configuration of the console's migrations.

    Args:
        url: Database URL for command-line runs without a connection.

    Returns:
        The configuration.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(MIGRATIONS_DIR / "versions"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", normalize_database_url(url))
    return config


def _config_on(connection: Connection) -> Config:
    config = alembic_config()
    config.attributes["connection"] = connection
    return config


def _current(connection: Connection) -> str | None:
    context = MigrationContext.configure(
        connection, opts={"version_table": VERSION_TABLE}
    )
    revision: str | None = context.get_current_revision()
    return revision


def _stamp_if_unversioned(connection: Connection) -> None:
    if _current(connection) is not None:
        return
    present = INITIAL_TABLES & set(inspect(connection).get_table_names())
    if present == INITIAL_TABLES:
        command.stamp(_config_on(connection), INITIAL_REVISION)
    elif present:
        raise UnknownSchema(
            f"console tables {sorted(present)} exist without the others and "
            f"without {VERSION_TABLE}: repair the database by hand"
        )


def _migrate(connection: Connection, revision: str) -> None:
    _stamp_if_unversioned(connection)
    command.upgrade(_config_on(connection), revision)


async def migrate(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade to ``revision``, stamping a database made by ``create_all`` first.

    Raises:
        UnknownSchema: Only some of the console's tables exist, unversioned.
    """
    async with engine.begin() as connection:
        await connection.run_sync(_migrate, revision)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` (no stamping)."""
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.upgrade(_config_on(sync), revision)
        )


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Run the migrations down to ``revision``."""
    async with engine.begin() as connection:
        await connection.run_sync(
            lambda sync: command.downgrade(_config_on(sync), revision)
        )


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (``None`` when never migrated)."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)
