"""Start the assistant in the production profile (``XIAOKE_PROFILE=production``).

Usage: ``.venv/bin/python profiles/launch.py [--check]`` from the project root
(``make run`` calls it when ``XIAOKE_PROFILE=production``). It

1. applies ``profiles/production.env`` for every variable the environment does
   not already set (a deployment's environment always wins),
2. refuses to start unless every secret in ``SECRETS`` is set (from the
   environment or ``var/production.env``, which is read the same way and never
   generated),
3. refuses to start unless PostgreSQL, Redis and RabbitMQ answer,
4. creates what is missing: Rasa's tracker store database (``RASA_DB_NAME``,
   through ``RASA_DB_LOGIN_DB``, as Rasa itself would) and its tables and, on
   a local server, the backends' and the console's databases,
5. runs the ``Procfile`` with honcho (``--check`` stops before this).

Rasa's SQL tracker store creates its database (when ``login_db`` is set) and
its tables itself, but every Sanic worker does so at the same moment: on a
first start all but one fail (``ERROR … Could not create database``, then a
duplicate-key warning and a 5-second wait for the tables). Created here,
before any worker starts, Rasa finds them and creates nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bot.platform import env_file

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = ROOT / "profiles" / "production.env"
SECRETS_FILE = ROOT / "var" / "production.env"
#: The secrets the profile refuses to start without, one per line.
SECRETS = (
    "RASA_TOKEN",
    "BACKEND_API_TOKEN",
    "CONSOLE_API_TOKEN",
    "CONSOLE_SECRET_KEY",
    "ACTION_SERVER_TOKEN",
)
MIN_SECRET_LENGTH = 16
DATABASE_URLS = (
    "ORDERS_DATABASE_URL",
    "CRM_DATABASE_URL",
    "CONSOLE_DATABASE_URL",
    "ANALYTICS_DB_URL",
)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}
#: How the processes find each other on this host, from the ports, unless set.
LOCAL_URLS = {
    "ACTION_ENDPOINT_URL": "http://127.0.0.1:{ACTION_PORT}/webhook",
    "RASA_URL": "http://127.0.0.1:{RASA_PORT}",
    "ORDERS_URL": "http://127.0.0.1:{ORDERS_PORT}",
    "CRM_URL": "http://127.0.0.1:{CRM_PORT}",
    "CONSOLE_URL": "http://127.0.0.1:{CONSOLE_PORT}",
}


class ProfileError(RuntimeError):
    """The environment does not allow the production profile to start."""


def read_env_file(path: Path) -> dict[str, str]:
    """Read ``KEY=VALUE`` lines (``#`` comments, blank lines; no quoting).

    Raises:
        ProfileError: A line is not ``KEY=VALUE`` (the message names it).
    """
    try:
        return env_file.read_env_file(path)
    except env_file.EnvFileError as error:
        raise ProfileError(str(error)) from error


def apply_defaults(
    environ: MutableMapping[str, str], defaults: Mapping[str, str]
) -> None:
    """Set every default the environment does not set already."""
    for key, value in defaults.items():
        environ.setdefault(key, value)


def check_secrets(environ: Mapping[str, str]) -> None:
    """Raise unless every secret is set and not trivially short."""
    missing = [
        name
        for name in SECRETS
        if len(environ.get(name, "").strip()) < MIN_SECRET_LENGTH
    ]
    if missing:
        raise ProfileError(
            f"production profile: {', '.join(missing)} not set (at least "
            f"{MIN_SECRET_LENGTH} characters, in the environment or "
            f"{SECRETS_FILE.relative_to(ROOT)}); no random values are made up here."
        )


def service_addresses(environ: Mapping[str, str]) -> dict[str, tuple[str, int]]:
    """Where the production services are expected, from the profile's variables."""
    rabbit = urlsplit(environ["RABBITMQ_URL"])
    addresses = {
        "PostgreSQL (tracker store)": (
            environ["RASA_DB_HOST"],
            int(environ["RASA_DB_PORT"]),
        ),
        "Redis (lock store)": (environ["REDIS_HOST"], int(environ["REDIS_PORT"])),
        "RabbitMQ (event broker)": (rabbit.hostname or "", rabbit.port or 5672),
    }
    for name in DATABASE_URLS:
        parts = urlsplit(environ.get(name, ""))
        if parts.scheme.startswith("postgres"):
            addresses[f"PostgreSQL ({name})"] = (
                parts.hostname or "",
                parts.port or 5432,
            )
    return addresses


def check_services(environ: Mapping[str, str], timeout: float = 2.0) -> None:
    """Raise unless every service accepts TCP connections."""
    down = []
    for name, (host, port) in service_addresses(environ).items():
        try:
            with socket.create_connection((host, port), timeout=timeout):
                pass
        except OSError:
            down.append(f"{name} on {host}:{port}")
    if down:
        raise ProfileError("production profile: not reachable: " + "; ".join(down))


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database the profile needs, and how to create it.

    Attributes:
        setting: The variable that names it (for messages).
        name: The database.
        host: The server.
        port: Its port.
        user: Who connects (and creates).
        password: That user's password (empty: trust or ``~/.pgpass``).
        login_db: An existing database to connect to first.
    """

    setting: str
    name: str
    host: str
    port: int
    user: str
    password: str
    login_db: str = "postgres"


def tracker_database(environ: Mapping[str, str]) -> Database | None:
    """Rasa's tracker store database (``RASA_DB_*``), if the profile has one.

    Its ``login_db`` is ``RASA_DB_LOGIN_DB``, empty when Rasa is not to create it.
    """
    if not environ.get("RASA_DB_HOST", "").strip():
        return None
    return Database(
        setting="RASA_DB_NAME",
        name=environ["RASA_DB_NAME"],
        host=environ["RASA_DB_HOST"],
        port=int(environ.get("RASA_DB_PORT") or 5432),
        user=environ.get("RASA_DB_USER", ""),
        password=environ.get("RASA_DB_PASSWORD", ""),
        login_db=environ.get("RASA_DB_LOGIN_DB", "").strip(),
    )


def local_databases(environ: Mapping[str, str]) -> list[Database]:
    """The backends', console's and analytics' PostgreSQL databases on this host."""
    databases: dict[str, Database] = {}
    for setting in DATABASE_URLS:
        parts = urlsplit(environ.get(setting, ""))
        if parts.scheme.startswith("postgres") and parts.hostname in LOCAL_HOSTS:
            name = unquote(parts.path.lstrip("/"))
            databases.setdefault(
                name,
                Database(
                    setting=setting,
                    name=name,
                    host=parts.hostname,
                    port=parts.port or 5432,
                    user=unquote(parts.username or ""),
                    password=unquote(parts.password or ""),
                ),
            )
    return list(databases.values())


def databases_to_create(environ: Mapping[str, str]) -> list[Database]:
    """Every database to create before the processes start, tracker store first.

    Rasa creates its own database only when given a login database; so do we.
    """
    tracker = tracker_database(environ)
    first = [tracker] if tracker is not None and tracker.login_db else []
    return first + local_databases(environ)


async def _create_if_missing(database: Database) -> bool:
    import asyncpg

    connection = await asyncpg.connect(
        host=database.host,
        port=database.port,
        user=database.user or None,
        password=database.password or None,
        database=database.login_db,
    )
    try:
        if await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", database.name
        ):
            return False
        # A database name cannot be a bind parameter; quote it as an identifier.
        quoted = '"' + database.name.replace('"', '""') + '"'
        try:
            await connection.execute(f"CREATE DATABASE {quoted}")
        except asyncpg.DuplicateDatabaseError:
            return False  # another launcher was quicker
        return True
    finally:
        await connection.close()


async def _create_databases(databases: list[Database]) -> list[Database]:
    import asyncpg

    created = []
    for database in databases:
        try:
            if await _create_if_missing(database):
                created.append(database)
        except (OSError, asyncio.TimeoutError, asyncpg.PostgresError) as error:
            raise ProfileError(
                f"production profile: cannot create database {database.name} "
                f"({database.setting}) on {database.host}:{database.port} as "
                f"{database.user or 'the default user'}: {error}"
            ) from error
    return created


def create_tracker_tables(database: Database) -> bool:
    """Create Rasa's tracker store tables when missing; ``True`` when created.

    Every Sanic worker creates them too, at the same moment; on an empty
    database all but one fail, log the SQL and wait 5 seconds.
    """
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore

    metadata = SQLTrackerStore.Base.metadata
    engine = sa.create_engine(
        sa.engine.URL.create(
            "postgresql",
            username=database.user or None,
            password=database.password or None,
            host=database.host,
            port=database.port,
            database=database.name,
        )
    )
    try:
        missing = set(metadata.tables) - set(sa.inspect(engine).get_table_names())
        if missing:
            try:
                metadata.create_all(engine)
            except (sa.exc.IntegrityError, sa.exc.ProgrammingError):
                # Another launcher (another host) was quicker: fine if they exist.
                if set(metadata.tables) - set(sa.inspect(engine).get_table_names()):
                    raise
        return bool(missing)
    except sa.exc.SQLAlchemyError as error:
        raise ProfileError(
            f"production profile: cannot create the tracker store's tables in "
            f"{database.name} ({database.setting}) on {database.host}:"
            f"{database.port}: {error}"
        ) from error
    finally:
        engine.dispose()


def create_databases(environ: Mapping[str, str]) -> None:
    """Create the missing databases and the tracker store's tables."""
    for database in asyncio.run(_create_databases(databases_to_create(environ))):
        print(f"created database {database.name} ({database.setting})")
    tracker = tracker_database(environ)
    if tracker is not None and create_tracker_tables(tracker):
        print(f"created the tracker store's tables in {tracker.name}")


def derive_local_urls(environ: MutableMapping[str, str]) -> None:
    """Set each unset ``LOCAL_URLS`` variable from the port it names."""
    for key, template in LOCAL_URLS.items():
        if not environ.get(key):
            environ[key] = template.format_map(environ)


def prepare(environ: MutableMapping[str, str]) -> None:
    """Apply the defaults and secrets, check secrets and services."""
    if SECRETS_FILE.exists():
        apply_defaults(environ, read_env_file(SECRETS_FILE))
    apply_defaults(environ, read_env_file(DEFAULTS))
    derive_local_urls(environ)
    check_secrets(environ)
    check_services(environ)


def main(argv: list[str] | None = None) -> int:
    """Prepare the environment and run the Procfile; return an exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="check only, do not start anything"
    )
    args = parser.parse_args(argv)
    environ = dict(os.environ)
    try:
        prepare(environ)
        create_databases(environ)
    except ProfileError as error:
        print(error, file=sys.stderr)
        return 2
    print(
        f"production profile: endpoints {environ['RASA_ENDPOINTS']}, "
        f"{environ['SANIC_WORKERS']} Rasa workers, "
        f"{environ['ACTION_SERVER_SANIC_WORKERS']} action server workers"
    )
    if args.check:
        return 0
    honcho = str(Path(sys.executable).parent / "honcho")
    os.chdir(ROOT)  # the Procfile's paths are relative to the project
    # /dev/null: the environment is complete; an env file would override it.
    os.execve(honcho, [honcho, "--env", os.devnull, "start"], environ)  # noqa: S606
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main())
