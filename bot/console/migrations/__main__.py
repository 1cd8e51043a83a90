"""Migration command line: ``python -m bot.console.migrations upgrade head``."""

from __future__ import annotations

import argparse
import asyncio
import os

from alembic import command

from bot.console.config import DEFAULT_DATABASE_URL
from bot.console.migrate import alembic_config, migrate
from bot.platform.db import create_async_engine as create_engine


async def _migrate(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        await migrate(engine, revision)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    """Run an Alembic command on the console's database (``CONSOLE_DATABASE_URL``).

    ``upgrade`` stamps a database made before migrations existed, like the
    console does at start-up.
    """
    parser = argparse.ArgumentParser(prog="python -m bot.console.migrations")
    parser.add_argument(
        "action", choices=["upgrade", "downgrade", "current", "history", "revision"]
    )
    parser.add_argument("argument", nargs="?", help="revision, or message for revision")
    args = parser.parse_args(argv)
    url = os.environ.get("CONSOLE_DATABASE_URL") or DEFAULT_DATABASE_URL
    config = alembic_config(url)
    if args.action == "upgrade":
        asyncio.run(_migrate(url, args.argument or "head"))
    elif args.action == "downgrade":
        command.downgrade(config, args.argument or "-1")
    elif args.action == "current":
        command.current(config, verbose=True)
    elif args.action == "history":
        command.history(config)
    else:
        command.revision(config, message=args.argument, autogenerate=True)


if __name__ == "__main__":
    main()
