"""Migration command line: ``python -m bot.backends.migrations orders upgrade head``."""

from __future__ import annotations

import argparse
import os

from alembic import command

from bot.backends.common.db import alembic_config
from bot.backends.common.settings import DEFAULT_DATABASE_URLS


def main(argv: list[str] | None = None) -> None:
    """Run an Alembic command on one service's database (URL from the environment)."""
    parser = argparse.ArgumentParser(prog="python -m bot.backends.migrations")
    parser.add_argument("service", choices=["orders", "crm"])
    parser.add_argument(
        "action", choices=["upgrade", "downgrade", "current", "history", "revision"]
    )
    parser.add_argument("argument", nargs="?", help="revision, or message for revision")
    args = parser.parse_args(argv)
    url = (
        os.environ.get(f"{args.service.upper()}_DATABASE_URL")
        or (DEFAULT_DATABASE_URLS[args.service])
    )
    config = alembic_config(args.service, url)
    if args.action == "upgrade":
        command.upgrade(config, args.argument or "head")
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
