"""Run ``profiles/launch.py`` for real, on throwaway databases, queues and ports.

The launcher replaces itself with honcho (same pid), and honcho starts every
Procfile process in a session of its own, so the process tree cannot be found
through the launcher's process group. Every process started here inherits a
marker variable instead, and :func:`marked_processes` finds them by it in
``/proc`` (Linux), during the run and after it, to prove nothing is left.
"""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bot.devtools.processes import free_port
from profiles import launch
from tests.conftest import ROOT
from tests.support.services import postgres_url

MARKER = "XIAOKE_TEST_LAUNCH"
#: The port variable of each Procfile process that listens on one.
PORTS = ("RASA_PORT", "ACTION_PORT", "ORDERS_PORT", "CRM_PORT", "CONSOLE_PORT")
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


@dataclass(frozen=True)
class ProfileNames:
    """Names of one launch's own databases, queue, exchange and lock prefix."""

    suffix: str = field(default_factory=lambda: uuid.uuid4().hex[:10])

    @property
    def databases(self) -> dict[str, str]:
        """Setting → database name, for the tracker store, backends and console."""
        return {
            "RASA_DB_NAME": f"xiaoke_rasa_launch_{self.suffix}",
            "ORDERS_DATABASE_URL": f"xiaoke_orders_launch_{self.suffix}",
            "CRM_DATABASE_URL": f"xiaoke_crm_launch_{self.suffix}",
            "CONSOLE_DATABASE_URL": f"xiaoke_console_launch_{self.suffix}",
        }

    @property
    def broker(self) -> str:
        """The RabbitMQ exchange and queue (one name for both)."""
        return f"xiaoke-launch-{self.suffix}"


def database_url(name: str) -> str:
    """``name`` on the test PostgreSQL server."""
    return urlunsplit(urlsplit(postgres_url())._replace(path=f"/{name}"))


def profile_environment(names: ProfileNames) -> dict[str, str]:
    """The launcher's environment: this process's, minus everything the profile sets.

    A variable the test runner happens to export (``make`` exports
    ``ACTION_ENDPOINT_URL``, ``RASA_PORT`` …; a developer may have
    ``CONSOLE_ENV=development``) would win over the profile's defaults, so
    every variable the profile reads is removed; the test sets its own.
    """
    profile_variables = {
        *launch.read_env_file(launch.DEFAULTS),
        *launch.LOCAL_URLS,
        *launch.SECRETS,
        "CONSOLE_ENV",
        "RASA_TRACKER_DB",
    }
    env = {k: v for k, v in os.environ.items() if k not in profile_variables}
    urls = {
        setting: database_url(name)
        for setting, name in names.databases.items()
        if setting.endswith("_URL")
    }
    env.update(
        urls,
        ANALYTICS_DB_URL=urls["CONSOLE_DATABASE_URL"],
        RASA_DB_NAME=names.databases["RASA_DB_NAME"],
        RABBITMQ_EXCHANGE=names.broker,
        RABBITMQ_QUEUE=names.broker,
        REDIS_LOCK_PREFIX=f"xiaokelaunch{names.suffix}",
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="3",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONDONTWRITEBYTECODE="1",
        # Agents at work whatever time the test runs.
        CONSOLE_SERVICE_HOURS="00:00-24:00",
        **{port: str(free_port()) for port in PORTS},
        **{MARKER: names.suffix},
    )
    return env


def new_secrets() -> dict[str, str]:
    """A fresh value for every secret the launcher requires."""
    secrets = {name: uuid.uuid4().hex for name in launch.SECRETS}
    # The console decodes its key: 32 bytes, urlsafe base64.
    secrets["CONSOLE_SECRET_KEY"] = base64.urlsafe_b64encode(os.urandom(32)).decode()
    return secrets


def marked_processes(marker: str) -> dict[int, str]:
    """Every live process whose environment carries ``MARKER=marker``: pid → command."""
    needle = f"{MARKER}={marker}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            status = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if status != "Z":  # a zombie has ended; its parent just hasn't reaped it
            found[int(entry.name)] = command.decode(errors="replace").strip()
    return found


def parent_of(pid: int) -> int:
    """The parent pid of ``pid`` (from ``/proc``)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


@dataclass
class LaunchedProfile:
    """``profiles/launch.py`` running (as honcho, same pid) with its own names.

    Attributes:
        process: The launcher's process.
        env: Its environment (ports, names, secrets).
        log: Everything it and the Procfile's processes printed.
        names: The throwaway names.
    """

    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path
    names: ProfileNames

    def url(self, port_variable: str) -> str:
        """``http://127.0.0.1:<port>`` of the process listening on ``port_variable``."""
        return f"http://127.0.0.1:{self.env[port_variable]}"

    def log_text(self) -> str:
        """The combined log so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def processes(self) -> dict[int, str]:
        """The launch's live processes (launcher/honcho and every descendant)."""
        return marked_processes(self.names.suffix)

    def stop(self, signum: int = signal.SIGINT, timeout: float = 60) -> int:
        """Send ``signum`` to the launcher and wait for it; return its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signum)
        return self.process.wait(timeout=timeout)


def start_launcher(
    env: Mapping[str, str], log: Path, args: Iterable[str] = ()
) -> subprocess.Popen[bytes]:
    """Run ``python profiles/launch.py`` from the project root, output to ``log``."""
    return subprocess.Popen(
        [sys.executable, str(ROOT / "profiles" / "launch.py"), *args],
        cwd=ROOT,
        env=dict(env),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def kill_leftovers(marker: str) -> list[str]:
    """SIGKILL the processes a launch left behind; return their commands."""
    leftovers = marked_processes(marker)
    for pid in leftovers:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return list(leftovers.values())


def wait_until_gone(marker: str, timeout: float = 20) -> dict[int, str]:
    """Wait until no process carries the marker; return those still there."""
    deadline = time.monotonic() + timeout
    while (left := marked_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.5)
    return left


def existing_databases(names: Iterable[str]) -> set[str]:
    """Those of ``names`` that exist on the test PostgreSQL server."""
    import asyncpg

    async def query() -> set[str]:
        connection = await asyncpg.connect(postgres_url())
        try:
            rows = await connection.fetch(
                "SELECT datname FROM pg_database WHERE datname = ANY($1::text[])",
                list(names),
            )
        finally:
            await connection.close()
        return {row["datname"] for row in rows}

    return asyncio.run(query())


def drop_databases(names: Iterable[str]) -> None:
    """Drop ``names`` (if they exist) on the test PostgreSQL server."""
    import asyncpg

    async def drop() -> None:
        connection = await asyncpg.connect(postgres_url())
        try:
            for name in names:
                quoted = '"' + name.replace('"', '""') + '"'
                await connection.execute(
                    f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"
                )
        finally:
            await connection.close()

    asyncio.run(drop())


def drop_broker_objects(exchange: str, queue: str) -> None:
    """Delete a test's RabbitMQ queue and exchange (guest on localhost)."""
    import aio_pika

    async def drop() -> None:
        connection = await aio_pika.connect(AMQP_URL)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(queue)
            await channel.exchange_delete(exchange)

    asyncio.run(drop())


@contextmanager
def throwaway_profile_names() -> Iterator[ProfileNames]:
    """Fresh names; afterwards drop the databases, queue and exchange they name."""
    names = ProfileNames()
    try:
        yield names
    finally:
        try:
            drop_databases(names.databases.values())
        finally:
            drop_broker_objects(names.broker, names.broker)
