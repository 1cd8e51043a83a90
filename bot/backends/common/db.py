"""Database engines, sessions and Alembic migrations for the reference backends."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import sessionmaker

from bot.platform.db import async_url, create_async_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

SessionFactory = sessionmaker  # a sessionmaker configured for AsyncSession

# The backends' names for the ground floor's engine plumbing (bot.platform.db).
normalize_database_url = async_url
create_engine = create_async_engine


def session_factory(engine: AsyncEngine) -> sessionmaker:
    """Build the session factory services open their units of work with."""
    return sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config(service: str, url: str | None = None) -> Config:
    """Build the Alembic configuration of one service's migration history.

    Args:
        service: ``"orders"`` or ``"crm"``; each has its own versions directory
            and version table, so both can share one PostgreSQL database.
        url: Database URL for command-line style runs without a connection.

    Returns:
        The configuration.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option(
        "version_locations", str(MIGRATIONS_DIR / "versions" / service)
    )
    if url is not None:
        config.set_main_option("sqlalchemy.url", normalize_database_url(url))
    config.attributes["service"] = service
    return config


def _run_command(
    connection: Connection, service: str, action: str, revision: str
) -> None:
    config = alembic_config(service)
    config.attributes["connection"] = connection
    if action == "upgrade":
        command.upgrade(config, revision)
    else:
        command.downgrade(config, revision)


async def upgrade(engine: AsyncEngine, service: str, revision: str = "head") -> None:
    """Run one service's migrations up to ``revision`` on an async engine."""
    async with engine.begin() as connection:
        await connection.run_sync(_run_command, service, "upgrade", revision)


async def downgrade(engine: AsyncEngine, service: str, revision: str) -> None:
    """Run one service's migrations down to ``revision`` on an async engine."""
    async with engine.begin() as connection:
        await connection.run_sync(_run_command, service, "downgrade", revision)


def version_table(service: str) -> str:
    """Name of the table Alembic records a service's revision in."""
    return f"alembic_version_{service}"


async def current_revision(engine: AsyncEngine, service: str) -> str | None:
    """Return the revision a database is at for one service (None if unmigrated)."""

    def _current(connection: Connection) -> str | None:
        context = MigrationContext.configure(
            connection, opts={"version_table": version_table(service)}
        )
        revision: str | None = context.get_current_revision()
        return revision

    async with engine.connect() as connection:
        return await connection.run_sync(_current)
