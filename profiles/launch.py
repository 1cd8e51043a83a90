"""Start the assistant in the production profile (``XIAOKE_PROFILE=production``).

Usage: ``.venv/bin/python profiles/launch.py [--check]`` from the project root
(``make run`` calls it when ``XIAOKE_PROFILE=production``). It

1. applies ``profiles/production.env`` for every variable the environment does
   not already set (a deployment's environment always wins),
2. refuses to start unless the secrets are set (``RASA_TOKEN``,
   ``BACKEND_API_TOKEN``, ``CONSOLE_API_TOKEN``, ``CONSOLE_SECRET_KEY``,
   ``ACTION_SERVER_TOKEN``: from the
   environment or ``var/production.env``, which is read the same way and never
   generated),
3. refuses to start unless PostgreSQL, Redis and RabbitMQ answer,
4. creates the backends' and the console's databases when they are missing on
   a local server,
5. runs the ``Procfile`` with honcho (``--check`` stops before this).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = ROOT / "profiles" / "production.env"
SECRETS_FILE = ROOT / "var" / "production.env"
SECRETS = (
    "RASA_TOKEN",
    "BACKEND_API_TOKEN",
    "CONSOLE_API_TOKEN",
    "CONSOLE_SECRET_KEY",
    "ACTION_SERVER_TOKEN",
)
MIN_SECRET_LENGTH = 16
DATABASE_URLS = ("ORDERS_DATABASE_URL", "CRM_DATABASE_URL", "CONSOLE_DATABASE_URL")
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class ProfileError(RuntimeError):
    """The environment does not allow the production profile to start."""


def read_env_file(path: Path) -> dict[str, str]:
    """Read ``KEY=VALUE`` lines (``#`` comments, blank lines; no quoting)."""
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, separator, value = line.partition("=")
        if not separator or not key.strip().isidentifier():
            raise ProfileError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        values[key.strip()] = value.strip()
    return values


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
        parts = urlsplit(environ[name])
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


async def _create_missing_database(url: str) -> bool:
    import asyncpg

    parts = urlsplit(url.replace("+asyncpg", ""))
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    connection = await asyncpg.connect(admin)
    try:
        if await connection.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", name
        ):
            return False
        # A database name cannot be a bind parameter; quote it as an identifier.
        quoted = '"' + name.replace('"', '""') + '"'
        await connection.execute(f"CREATE DATABASE {quoted}")
        return True
    finally:
        await connection.close()


def create_local_databases(environ: Mapping[str, str]) -> None:
    """Create the backends' and console's databases on a local server if missing."""
    for name in DATABASE_URLS:
        parts = urlsplit(environ[name])
        if parts.scheme.startswith("postgres") and parts.hostname in LOCAL_HOSTS:
            if asyncio.run(_create_missing_database(environ[name])):
                print(f"created database {parts.path.lstrip('/')} ({name})")


def prepare(environ: MutableMapping[str, str]) -> None:
    """Apply the defaults and secrets, check secrets and services."""
    if SECRETS_FILE.exists():
        apply_defaults(environ, read_env_file(SECRETS_FILE))
    apply_defaults(environ, read_env_file(DEFAULTS))
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
    except ProfileError as error:
        print(error, file=sys.stderr)
        return 2
    create_local_databases(environ)
    print(
        f"production profile: endpoints {environ['RASA_ENDPOINTS']}, "
        f"{environ['SANIC_WORKERS']} Rasa workers, "
        f"{environ['ACTION_SERVER_SANIC_WORKERS']} action server workers"
    )
    if args.check:
        return 0
    honcho = str(Path(sys.executable).parent / "honcho")
    # /dev/null: the environment is complete; an env file would override it.
    os.execve(honcho, [honcho, "--env", os.devnull, "start"], environ)  # noqa: S606
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main())
