"""A merchant who deletes ``bot/backends`` (their own systems instead) keeps a console.

The console borrows only the HTTP clients of ``actions/clients/`` for its
customer panel; it never imports the reference backends. So a copy of the
project without ``bot/backends`` starts ``python -m bot.console`` as a real
process, lets a staff member log in, shows the queue, and, with no order or CRM
service listening, shows the panel's Chinese "unavailable" note instead of an
error page.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import requests

from bot.devtools.processes import free_port
from tests.conftest import ROOT
from tests.support.console_processes import (
    Console,
    console_port_and_token,
    run_console,
)

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
UNAVAILABLE = "客户资料暂时查不到（后台系统无响应）"
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")


def project_without_backends(root: Path) -> Path:
    """Copy ``bot/`` (minus ``bot/backends``) and ``actions/`` to ``root``."""
    shutil.copytree(ROOT / "actions", root / "actions", ignore=CACHES)

    def skip(folder: str, names: list[str]) -> set[str]:
        ignored = set(CACHES(folder, names))
        if Path(folder) == ROOT / "bot":
            ignored.add("backends")
        return ignored

    shutil.copytree(ROOT / "bot", root / "bot", ignore=skip)
    return root


def interpreter_without_the_project(folder: Path) -> str:
    """A Python that has the project's libraries but not the project.

    The development environment installs the project in editable mode, whose
    import hook finds ``bot.backends`` in the original tree when a copy lacks
    it. A virtual environment whose only addition is the libraries' folder
    (a path in a ``.pth`` file: the ``.pth`` files inside it do not run) does
    not have that hook.
    """
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder)],
        check=True,
        timeout=120,
    )
    python = folder / "bin" / "python"
    libraries = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    Path(libraries, "project_libraries.pth").write_text(
        sysconfig.get_path("purelib") + "\n", "utf-8"
    )
    return str(python)


@pytest.fixture(scope="module")
def merchant_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return project_without_backends(tmp_path_factory.mktemp("merchant"))


@pytest.fixture(scope="module")
def python(tmp_path_factory: pytest.TempPathFactory) -> str:
    return interpreter_without_the_project(tmp_path_factory.mktemp("venv"))


def test_the_copy_has_no_reference_backends(merchant_tree: Path, python: str) -> None:
    # Guards the test below: had the copy a way back to the project, it would
    # import the backends from there and prove nothing.
    result = subprocess.run(
        [python, "-c", "import aiohttp, bot, bot.backends"],
        cwd=merchant_tree,
        env={"PYTHONPATH": str(merchant_tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "No module named 'bot.backends'" in result.stderr


def log_in(console: Console) -> requests.Session:
    agent = requests.Session()
    login = agent.get(f"{console.url}/login", timeout=10)
    response = agent.post(
        f"{console.url}/login",
        data={
            "username": console.username,
            "password": console.password,
            "csrf_token": CSRF.findall(login.text)[0],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert response.status_code == 303, response.text
    return agent


def test_the_console_runs_without_the_reference_backends(
    merchant_tree: Path, python: str, tmp_path: Path
) -> None:
    port, token = console_port_and_token()
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    env = {
        "ORDERS_URL": nowhere,
        "CRM_URL": nowhere,
        "BACKEND_RETRIES": "0",
        "BACKEND_TIMEOUT": "2",
        "RASA_URL": nowhere,
    }
    with run_console(
        tmp_path, port, token, env, tree=merchant_tree, python=python
    ) as console:
        agent = log_in(console)
        queue = agent.get(f"{console.url}/queue", timeout=10)
        assert queue.status_code == 200
        assert "/login" not in queue.url

        ticket = requests.post(
            f"{console.url}/internal/handoffs",
            json={
                "conversation_id": "web-merchant-0001",
                "channel": "web",
                "reason": "shopper_request",
                "summary": {"reason_label": "顾客要求转人工"},
                "customer_id": "C0001",
            },
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert ticket.status_code == 201, ticket.text
        waiting = agent.get(f"{console.url}/api/queue", timeout=10).json()["waiting"]
        handoff = next(
            item for item in waiting if item["conversation_id"] == "web-merchant-0001"
        )
        page = agent.get(f"{console.url}/conversations/{handoff['id']}", timeout=20)

    assert page.status_code == 200
    assert UNAVAILABLE in page.text
    log = (tmp_path / "console.log").read_text("utf-8")
    assert "Traceback" not in log
