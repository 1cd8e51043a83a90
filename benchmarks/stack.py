"""Start the whole assistant in the embedded or production profile for a benchmark.

Shared by ``benchmarks/load.py`` and ``benchmarks/growth.py``. Everything runs on
loopback ports chosen at start; the production profile gets throwaway PostgreSQL
databases (dropped afterwards), its own Redis key prefix and RabbitMQ exchange and
queue (deleted afterwards), so runs never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import requests

from bot.devtools.processes import backend_env, free_port
from bot.platform.env_file import read_env_file

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results"
PROFILE_DEFAULTS = ROOT / "profiles" / "production.env"
POSTGRES_ADMIN = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
START_LIMIT = 300
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def latest_model() -> Path:
    return max((ROOT / "models").glob("*.tar.gz"), key=os.path.getmtime)


# --- process figures from /proc (no psutil in the environment) ---------------


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Sanic workers are children of the main)."""
    tree, index = [pid], 0
    while index < len(tree):
        tree.extend(_children(tree[index]))
        index += 1
    return tree


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def rss_megabytes(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with suppress(OSError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return total * PAGE_BYTES / 2**20


@dataclass(frozen=True)
class WeChatAccount:
    """The Official Account the WeChat channel is configured for in a benchmark.

    The channel runs in safe mode (AES); ``WECHAT_API_BASE_URL`` points at the
    platform simulator (``bot/devtools/wechat_simulator.py``), which the load
    driver serves, so late answers reach it through the customer-service API.
    """

    token: str = "bench-wechat-token"
    aes_key: str = "BenchWeChatKey0123456789abcdefghijklmnopqrs"  # 43 characters
    app_id: str = "wxbench0000000001"
    app_secret: str = "bench-wechat-secret"

    def env(self, api_url: str) -> dict[str, str]:
        """The ``WECHAT_*`` environment that turns the channel on."""
        return {
            "WECHAT_TOKEN": self.token,
            "WECHAT_AES_KEY": self.aes_key,
            "WECHAT_APP_ID": self.app_id,
            "WECHAT_APP_SECRET": self.app_secret,
            "WECHAT_API_BASE_URL": api_url,
        }


@dataclass
class Stack:
    """The running processes of one profile."""

    profile: str
    rasa_url: str
    token: str
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    workdir: Path = field(default_factory=Path)
    env: dict[str, str] = field(default_factory=dict)
    endpoints: str = "endpoints.yml"

    @property
    def rest_headers(self) -> dict[str, str]:
        """What a trusted back-end sends to the REST channel (production: token)."""
        return {"Authorization": f"Bearer {self.env['REST_CHANNEL_TOKEN']}"}

    def trees(self) -> dict[str, list[int]]:
        """Each process's pid and its children's, by process name."""
        return {name: process_tree(p.pid) for name, p in self.processes.items()}


async def _postgres(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(POSTGRES_ADMIN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _drop_broker(exchange: str, queue: str) -> None:
    import aio_pika

    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/")
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(queue)
        await channel.exchange_delete(exchange)


def _wait(url: str, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + START_LIMIT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}")
        with suppress(requests.RequestException):
            if requests.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise RuntimeError(f"{name} did not answer {url} within {START_LIMIT}s")


@contextmanager
def run_stack(
    profile: str,
    rasa_workers: int | None = None,
    with_rasa: bool = True,
    rasa_command: list[str] | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """Start backends, action server and Rasa server in ``profile``.

    Args:
        profile: ``embedded`` (SQLite, in-memory tracker and lock store) or
            ``production`` (``endpoints.production.yml`` and the profile's defaults
            on throwaway databases).
        rasa_workers: ``SANIC_WORKERS`` for both servers (production default: the
            profile's value).
        with_rasa: Start the Rasa server too; without it the caller runs Rasa in
            its own process (``benchmarks/profile_turn.py``) with ``Stack.env``.
        rasa_command: What to run instead of the ``rasa`` script (its arguments
            follow), e.g. a launcher that patches Rasa first.
        extra_env: Set last, over the profile's environment (e.g.
            ``WeChatAccount.env`` to turn the WeChat channel on).

    Yields:
        The running stack.
    """
    work = Path(tempfile.mkdtemp(prefix=f"xiaoke-bench-{profile}-"))
    ports = {name: free_port() for name in ("orders", "crm", "actions", "rasa")}
    suffix = uuid.uuid4().hex[:8]
    token = uuid.uuid4().hex
    backends = backend_env(work, ports["orders"], ports["crm"], uuid.uuid4().hex)
    env = {
        **os.environ,
        **backends,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
        "ACTION_SERVER_TOKEN": uuid.uuid4().hex,
        # The REST channel wants a bearer token in production (channels/doors.py).
        "REST_CHANNEL_TOKEN": uuid.uuid4().hex,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "SANIC_HOST": "127.0.0.1",
        "RASA_TRACKER_DB": str(work / "tracker.db"),
    }
    endpoints = "endpoints.yml"
    databases: list[str] = []
    if profile == "production":
        defaults = read_env_file(PROFILE_DEFAULTS)
        databases = [f"xiaoke_bench_{name}_{suffix}" for name in ("rasa", "o", "c")]
        for name in databases:
            asyncio.run(_postgres(f'CREATE DATABASE "{name}"'))
        base = POSTGRES_ADMIN.rsplit("/", 1)[0]
        # As launch.py: the caller's environment wins (TRACKER_WINDOW_EVENTS=0 ...),
        # and the profile's ports (ORDERS_PORT=8001, ...) would send the backends
        # elsewhere than the free ports ORDERS_URL and CRM_URL point at.
        env.update(
            {
                k: v
                for k, v in defaults.items()
                if k not in backends and k not in os.environ
            }
        )
        env.update(
            {
                "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
                "RASA_DB_NAME": databases[0],
                "ORDERS_DATABASE_URL": f"{base}/{databases[1]}",
                "CRM_DATABASE_URL": f"{base}/{databases[2]}",
                "REDIS_LOCK_PREFIX": f"xiaokebench{suffix}",
                "RABBITMQ_EXCHANGE": f"xiaoke-bench-{suffix}",
                "RABBITMQ_QUEUE": f"xiaoke-bench-{suffix}",
            }
        )
        endpoints = env["RASA_ENDPOINTS"]
    env.update(extra_env or {})
    if rasa_workers is not None:
        env["SANIC_WORKERS"] = env["ACTION_SERVER_SANIC_WORKERS"] = str(rasa_workers)
    commands = {
        "orders": [sys.executable, "-m", "bot.backends.orders"],
        "crm": [sys.executable, "-m", "bot.backends.crm"],
        "actions": [sys.executable, "-m", "bot.action_server", "--actions", "actions",
                    "--port", str(ports["actions"])],
        "rasa": [*(rasa_command or [sys.executable, "-m", "bot.rasa_server"]), "run",
                 "--model", str(latest_model()), "--enable-api", "--auth-token", token,
                 "--interface", "127.0.0.1",
                 "--port", str(ports["rasa"]), "--credentials", "credentials.yml",
                 "--endpoints", endpoints],
    }  # fmt: skip
    if not with_rasa:
        del commands["rasa"]
    stack = Stack(
        profile,
        f"http://127.0.0.1:{ports['rasa']}",
        token,
        workdir=work,
        env=env,
        endpoints=endpoints,
    )
    try:
        for name, command in commands.items():
            stack.processes[name] = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=(work / f"{name}.log").open("w"),
                stderr=subprocess.STDOUT,
            )
        for name, url in (
            ("orders", f"{env['ORDERS_URL']}/health"),
            ("crm", f"{env['CRM_URL']}/health"),
            ("actions", f"http://127.0.0.1:{ports['actions']}/health"),
            ("rasa", f"{stack.rasa_url}/status?token={token}"),
        ):
            if name in stack.processes:
                _wait(url, stack.processes[name], name)
        print(f"{profile}: stack up (logs in {work})", flush=True)
        yield stack
    finally:
        for process in stack.processes.values():
            process.terminate()
        for process in stack.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        if profile == "production":
            asyncio.run(_drop_broker(env["RABBITMQ_EXCHANGE"], env["RABBITMQ_QUEUE"]))
            for name in databases:
                asyncio.run(_postgres(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
