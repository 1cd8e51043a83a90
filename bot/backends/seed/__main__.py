"""Seed command: ``python -m bot.backends.seed [--service S] [--today D] [--force]``."""

from __future__ import annotations

import argparse
import asyncio
import os
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.backends.common import db
from bot.backends.common.settings import DEFAULT_DATABASE_URLS
from bot.backends.common.timeutil import china_date, utc_now
from bot.backends.crm.models import Customer
from bot.backends.orders.models import Order, Product
from bot.backends.seed.load import seed_catalogue, seed_crm, seed_orders


async def _count(engine: AsyncEngine, table: type) -> int:
    async with engine.connect() as connection:
        count: int = (
            await connection.execute(select(func.count()).select_from(table))
        ).scalar_one()
    return count


async def _seed(service: str, today: date, force: bool) -> str:
    url = (
        os.environ.get(f"{service.upper()}_DATABASE_URL")
        or (DEFAULT_DATABASE_URLS[service])
    )
    engine = db.create_engine(url)
    try:
        await db.upgrade(engine, service)
        probe = Order if service == "orders" else Customer
        count = await _count(engine, probe)
        if count and not force:
            note = f"{service}: {count} rows already there, left alone (use --force)"
            if service == "orders" and not await _count(engine, Product):
                # Seeded before the catalogue existed: add it, keep the orders.
                listed = await seed_catalogue(engine, today)
                note += f"; seeded the catalogue's {listed} products"
            return note
        written = await (seed_orders if service == "orders" else seed_crm)(
            engine, today
        )
        noun = "orders" if service == "orders" else "customers"
        return f"{service}: seeded {written} {noun}"
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Migrate and seed the databases named by the environment."""
    parser = argparse.ArgumentParser(prog="python -m bot.backends.seed")
    parser.add_argument("--service", choices=["orders", "crm", "all"], default="all")
    parser.add_argument(
        "--today",
        type=date.fromisoformat,
        default=None,
        help="day the demo data is relative to (default: today in Beijing)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace existing rows with the data set"
    )
    args = parser.parse_args(argv)
    today = args.today or china_date(utc_now())
    services = ["orders", "crm"] if args.service == "all" else [args.service]
    for service in services:
        print(asyncio.run(_seed(service, today, args.force)))


if __name__ == "__main__":
    main()
