"""The agent console as a real process, and the system Chromium for browser tests."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.console.users import add_user
from bot.devtools.processes import free_port
from tests.conftest import ROOT
from tests.support.processes import stop_process, wait_for

CHROMIUM = Path("/usr/bin/chromium")
CJK_FONT_PACKAGE = "fonts-wqy-microhei"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Console:
    """A running console: its URL, internal API token and a staff login."""

    url: str
    api_token: str
    username: str
    password: str


def console_port_and_token() -> tuple[int, str]:
    """A free port and a fresh internal API token (known before Rasa starts)."""
    return free_port(), base64.urlsafe_b64encode(os.urandom(24)).decode()


@contextmanager
def run_console(
    workdir: Path,
    port: int,
    api_token: str,
    env: Mapping[str, str],
    tree: Path = ROOT,
    python: str = sys.executable,
) -> Iterator[Console]:
    """Create a staff account, start ``python -m bot.console``, stop it afterwards.

    Args:
        workdir: Database and log directory.
        port: Where the console listens.
        api_token: ``CONSOLE_API_TOKEN``.
        env: Extra environment (``RASA_URL``, ``RASA_TOKEN``, backends …).
        tree: The project the console runs from (a trimmed copy of it, say);
            outside this one the staff account is made with that copy's
            ``python -m bot.console.users`` too.
        python: The interpreter that runs them.

    Yields:
        The running console.
    """
    database_url = f"sqlite+aiosqlite:///{workdir / 'console.db'}"
    environment = {
        **os.environ,
        "PYTHONPATH": str(tree),
        # The conversation store run_assistant gives the Rasa server in workdir.
        "RASA_TRACKER_DB": str(workdir / "tracker.db"),
        **env,
        "CONSOLE_PORT": str(port),
        "CONSOLE_API_TOKEN": api_token,
        "CONSOLE_SECRET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "CONSOLE_DATABASE_URL": database_url,
        "CONSOLE_ENV": "development",
        "CONSOLE_SERVICE_HOURS": "00:00-24:00",
        "CONSOLE_POLL_INTERVAL": "0.5",
    }
    if tree == ROOT:
        asyncio.run(add_user(database_url, "agent-e2e", "agent-e2e-password"))
    else:
        subprocess.run(
            [python, "-m", "bot.console.users", "add", "agent-e2e"],
            cwd=tree,
            env={**environment, "CONSOLE_PASSWORD": "agent-e2e-password"},
            check=True,
            capture_output=True,
            timeout=120,
        )
    process = subprocess.Popen(
        [python, "-m", "bot.console"],
        cwd=tree,
        env=environment,
        stdout=(workdir / "console.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/health", process, timeout=60)
        yield Console(url, api_token, "agent-e2e", "agent-e2e-password")
    finally:
        stop_process(process)


def _has_cjk_font() -> bool:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    result = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=60
    )
    return bool(result.stdout.strip())


def ensure_chromium() -> Path:
    """Debian's Chromium and a CJK font, installed with apt-get when missing.

    Never downloaded from elsewhere. Without a CJK font headless Chromium draws
    Chinese as boxes, so screenshots would be unreadable
    (``fonts-wqy-microhei``, a small one).
    """
    missing = [] if CHROMIUM.exists() else ["chromium"]
    if not _has_cjk_font():
        missing.append(CJK_FONT_PACKAGE)
    if not missing:
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None:
        if not CHROMIUM.exists():
            pytest.skip("no /usr/bin/chromium and no apt-get to install it")
        return CHROMIUM  # no CJK font: Chinese shows as boxes, tests still run
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", *missing]):
        result = subprocess.run(
            command, env=environment, capture_output=True, text=True, timeout=900
        )
        if result.returncode != 0:
            pytest.fail(f"{' '.join(command)} failed: {result.stderr[-2000:]}")
    return CHROMIUM
