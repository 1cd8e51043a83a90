"""Start the reference order and CRM services as real processes on free ports."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bot.devtools.processes import backend_env, free_port
from tests.conftest import ROOT
from tests.support.processes import RestartableProcess, stop_all, wait_for


@contextmanager
def run_backends(workdir: Path) -> Iterator[dict[str, str]]:
    """Run ``python -m bot.backends.orders`` and ``… crm`` on fresh SQLite files.

    Each service migrates and seeds its demo data (relative to today) at start.

    Args:
        workdir: Where the databases and logs go.

    Yields:
        The environment the action server needs to reach them.
    """
    token = uuid.uuid4().hex
    orders_port, crm_port = free_port(), free_port()
    env = {**os.environ, **backend_env(workdir, orders_port, crm_port, token)}
    processes = {
        name: subprocess.Popen(
            [sys.executable, "-m", f"bot.backends.{name}"],
            cwd=ROOT,
            env=env,
            stdout=(workdir / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for name in ("orders", "crm")
    }
    try:
        wait_for(f"{env['ORDERS_URL']}/health", processes["orders"], timeout=60)
        wait_for(f"{env['CRM_URL']}/health", processes["crm"], timeout=60)
        yield {key: env[key] for key in ("BACKEND_API_TOKEN", "ORDERS_URL", "CRM_URL")}
    finally:
        stop_all(processes.values())


@contextmanager
def run_restartable_backends(
    workdir: Path,
) -> Iterator[tuple[dict[str, str], dict[str, RestartableProcess]]]:
    """Like :func:`run_backends`, but a test may kill and restart each service.

    A restarted service opens the same SQLite file on the same port, so what it
    stored before (returns, points) is still there.

    Args:
        workdir: Where the databases and logs go.

    Yields:
        The action server's environment, and the ``orders`` and ``crm`` processes.
    """
    token = uuid.uuid4().hex
    ports = {"orders": free_port(), "crm": free_port()}
    env = {
        **os.environ,
        **backend_env(workdir, ports["orders"], ports["crm"], token),
    }
    services = {
        name: RestartableProcess(
            name,
            [sys.executable, "-m", f"bot.backends.{name}"],
            env,
            workdir,
            f"http://127.0.0.1:{port}/health",
            timeout=60,
        )
        for name, port in ports.items()
    }
    try:
        for service in services.values():
            service.start()
        for service in services.values():
            service.wait_ready()
        yield (
            {key: env[key] for key in ("BACKEND_API_TOKEN", "ORDERS_URL", "CRM_URL")},
            services,
        )
    finally:
        stop_all(s.process for s in services.values() if s.process is not None)
