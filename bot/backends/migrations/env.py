"""Alembic environment shared by the order and CRM migration histories."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.backends.common.db import normalize_database_url, version_table


def _target_metadata(service: str) -> Any:
    if service == "orders":
        from bot.backends.orders.models import metadata as orders_metadata

        return orders_metadata
    if service == "crm":
        from bot.backends.crm.models import metadata as crm_metadata

        return crm_metadata
    raise RuntimeError(f"unknown service {service!r}: use -x service=orders|crm")


config = context.config
SERVICE: str = config.attributes.get("service") or context.get_x_argument(
    as_dictionary=True
).get("service", "")
TARGET_METADATA = _target_metadata(SERVICE)


def _configure(**options: Any) -> None:
    context.configure(
        target_metadata=TARGET_METADATA,
        version_table=version_table(SERVICE),
        render_as_batch=True,  # SQLite needs batch mode to alter tables
        compare_type=True,
        **options,
    )


def _run_with(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url (or pass a connection) to migrate")
    engine = create_async_engine(normalize_database_url(url))
    async with engine.begin() as connection:
        await connection.run_sync(_run_with)
    await engine.dispose()


if context.is_offline_mode():
    _configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    _run_with(config.attributes["connection"])
else:
    asyncio.run(_run_online())
