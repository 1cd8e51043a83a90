"""Manage staff accounts: ``python -m bot.console.users add NAME --password …``.

``python -m bot.console.users grant NAME trainer`` grants the trainer
permission (``--revoke`` takes it away): a trainer may use the 待标注 page.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from bot.console.config import DEFAULT_DATABASE_URL
from bot.console.floor import FloorRepository
from bot.console.migrate import migrate
from bot.console.models import AGENT, GRANTS, SUPERVISOR
from bot.console.passwords import hash_password
from bot.console.repository import ConsoleRepository
from bot.console.review_repository import ReviewRepository
from bot.platform.db import create_async_engine


async def add_user(
    database_url: str, username: str, password: str, role: str | None = None
) -> bool:
    """Create a staff account or reset its password; ``True`` when created.

    Args:
        database_url: The console's database.
        username: The account.
        password: Its password.
        role: ``agent`` or ``supervisor``; ``None`` keeps it (new: ``agent``).
    """
    engine = create_async_engine(database_url)
    try:
        await migrate(engine)
        created = await ConsoleRepository(engine).save_user(
            username, hash_password(password)
        )
        if role is not None:
            await FloorRepository(engine).set_role(username, role)
        return created
    finally:
        await engine.dispose()


async def set_grant(
    database_url: str, username: str, role: str, *, revoke: bool = False
) -> bool:
    """Grant (or revoke) ``role``; ``True`` when something changed.

    Raises:
        ValueError: No such account or role.
    """
    engine = create_async_engine(database_url)
    try:
        await migrate(engine)
        repository = ReviewRepository(engine)
        if revoke:
            return await repository.revoke(username, role)
        return await repository.grant(username, role)
    finally:
        await engine.dispose()


def _grant_command(args: argparse.Namespace) -> int:
    try:
        changed = asyncio.run(
            set_grant(args.database_url, args.username, args.role, revoke=args.revoke)
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    verb = "revoked from" if args.revoke else "granted to"
    state = "" if changed else " (no change)"
    print(f"role {args.role} {verb} {args.username}{state}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    parser = argparse.ArgumentParser(prog="python -m bot.console.users")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create a staff account or set its password")
    add.add_argument("username")
    add.add_argument(
        "--password", help="the password (default: $CONSOLE_PASSWORD or a prompt)"
    )
    add.add_argument(
        "--role",
        choices=(AGENT, SUPERVISOR),
        help="agent (default for a new account) or supervisor",
    )
    add.add_argument(
        "--database-url",
        default=os.environ.get("CONSOLE_DATABASE_URL") or DEFAULT_DATABASE_URL,
    )
    grant = commands.add_parser(
        "grant", help="grant or revoke a permission (trainer: the 待标注 page)"
    )
    grant.add_argument("username")
    grant.add_argument("role", choices=GRANTS)
    grant.add_argument("--revoke", action="store_true", help="take it away")
    grant.add_argument(
        "--database-url",
        default=os.environ.get("CONSOLE_DATABASE_URL") or DEFAULT_DATABASE_URL,
    )
    args = parser.parse_args(argv)
    if args.command == "grant":
        return _grant_command(args)
    password = (
        args.password
        or os.environ.get("CONSOLE_PASSWORD")
        or getpass.getpass(f"password for {args.username}: ")
    )
    try:
        created = asyncio.run(
            add_user(args.database_url, args.username, password, args.role)
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"staff account {args.username} {'created' if created else 'updated'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
