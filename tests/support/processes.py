"""Start the assistant's real processes (Rasa server, action server) on free ports.

Used by the end-to-end tests: most modules share one stack
(``tests.support.shared_stack``); a module that needs other settings (a log
level, a timeout, processes to kill) starts its own pair with the environment
it needs.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bot.devtools.processes import free_port
from tests.conftest import ROOT

PROCFILE = ROOT / "Procfile"
_VARIABLE = re.compile(r"\$\{(\w+)(?::-([^}]*))?\}|\$(\w+)")
#: The Rasa server as the Procfile starts it (Rasa's CLI plus bot.rasa_server's fix).
RASA_SERVER = (sys.executable, "-m", "bot.rasa_server")
START_TIMEOUT = 180
#: The Rasa → action server shared secret of every assistant the tests start.
ACTION_SERVER_TOKEN = "test-action-server-token-" + uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Assistant:
    """A running Rasa server + action server.

    Attributes:
        url: Base URL of the Rasa server.
        token: The Rasa HTTP API token.
        logs: Directory with one log file per process.
        actions_url: Base URL of the action server (``/webhook``, ``/health``).
    """

    url: str
    token: str
    logs: Path
    actions_url: str = ""


def wait_for(
    url: str,
    process: subprocess.Popen,
    headers: Mapping[str, str] | None = None,
    timeout: float = START_TIMEOUT,
) -> None:
    """Wait until ``url`` answers 200; fail the test if ``process`` dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args!r} exited with {process.returncode}")
        try:
            if requests.get(url, headers=headers, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {timeout}s")


@contextmanager
def run_assistant(
    model_path: Path,
    logs: Path,
    env: Mapping[str, str] | None = None,
    credentials: str = "credentials.yml",
    endpoints: str = "endpoints.yml",
    rasa_args: Sequence[str] = (),
) -> Iterator[Assistant]:
    """Start the action server and the Rasa server; stop both afterwards.

    Args:
        model_path: The trained model archive.
        logs: Where the processes' output goes (``actions.log``, ``rasa.log``).
        env: Extra environment for both processes.
        credentials: The credentials file, relative to the repository.
        endpoints: The endpoints file, relative to the repository (e.g.
            ``endpoints.production.yml``; its ``${VAR}`` must be set in ``env``).
        rasa_args: Extra arguments for ``rasa run``.

    Yields:
        The running assistant.
    """
    rasa_port, action_port = free_port(), free_port()
    token = uuid.uuid4().hex
    environment = {
        **os.environ,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
        # The web chat channel takes the Rasa server's token (channels/doors.py).
        "RASA_TOKEN": token,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        # endpoints.yml's SQLite conversation store: one per assistant.
        "RASA_TRACKER_DB": str(logs / "tracker.db"),
        **(env or {}),
    }
    commands = {
        "actions": action_server_command(action_port),
        "rasa": [*RASA_SERVER, "run", "--model", str(model_path),
                 "--enable-api", "--auth-token", token, "--interface", "127.0.0.1",
                 "--port", str(rasa_port), "--credentials", credentials,
                 "--endpoints", endpoints, *rasa_args],
    }  # fmt: skip
    processes = {
        name: subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=(logs / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for name, command in commands.items()
    }
    try:
        started = time.monotonic()
        wait_for(f"http://127.0.0.1:{action_port}/health", processes["actions"])
        wait_for(
            f"http://127.0.0.1:{rasa_port}/status?token={token}", processes["rasa"]
        )
        print(f"assistant ready in {time.monotonic() - started:.1f}s")
        yield Assistant(
            f"http://127.0.0.1:{rasa_port}",
            token,
            logs,
            f"http://127.0.0.1:{action_port}",
        )
    finally:
        stop_all(processes.values())


def stop_process(process: subprocess.Popen, timeout: float = 20) -> None:
    """Terminate ``process`` (kill it when it does not stop within ``timeout``)."""
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def stop_all(processes: Iterable[subprocess.Popen]) -> None:
    """Ask every process to stop at once, then wait for (or kill) each."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        process.terminate()
    for process in running:
        stop_process(process)


def action_server_command(port: int) -> list[str]:
    """The action server on ``port``: the Procfile's line (needs the token)."""
    return procfile_commands({"ACTION_PORT": str(port)})["actions"]


def rasa_server_command(
    model_path: Path,
    port: int,
    token: str,
    endpoints: str = "endpoints.yml",
    credentials: str = "credentials.yml",
) -> list[str]:
    """``rasa run`` with the HTTP API on ``port``, as the Procfile runs it."""
    return [*RASA_SERVER, "run", "--model", str(model_path),
            "--enable-api", "--auth-token", token, "--interface", "127.0.0.1",
            "--port", str(port), "--credentials", credentials,
            "--endpoints", endpoints]  # fmt: skip


class RestartableProcess:
    """One service process a test can kill and start again on the same port.

    Args:
        name: Short name; the output goes to ``logs/<name>.log`` (appended, so a
            restart keeps the earlier run's lines).
        command: The command line.
        env: The process environment.
        logs: The log directory.
        health_url: Answers 200 once the process serves.
        timeout: Seconds to wait for ``health_url``.
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        env: Mapping[str, str],
        logs: Path,
        health_url: str,
        timeout: float = START_TIMEOUT,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.env = dict(env)
        self.log = logs / f"{name}.log"
        self.health_url = health_url
        self.timeout = timeout
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the process (not running yet) without waiting for it."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self.name} is already running")
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self) -> None:
        """Wait until the health URL answers; fail the test if the process dies."""
        assert self.process is not None, f"{self.name} was not started"
        wait_for(self.health_url, self.process, timeout=self.timeout)

    def restart(self) -> None:
        """Start the process again (after :meth:`kill`) and wait until it serves."""
        self.start()
        self.wait_ready()

    def kill(self) -> None:
        """SIGKILL the process, as a crash or the OOM killer would, and reap it."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=20)

    def stop(self) -> None:
        """Terminate the process if it runs (see :func:`stop_process`)."""
        if self.process is not None:
            stop_process(self.process)


@dataclass(frozen=True)
class RestartableAssistant:
    """A running assistant whose action server a test may kill and restart.

    Attributes:
        assistant: URL, token and logs, as :func:`run_assistant` yields them.
        actions: The action server (same port on every restart).
        rasa: The Rasa server.
    """

    assistant: Assistant
    actions: RestartableProcess
    rasa: RestartableProcess


@contextmanager
def run_restartable_assistant(
    model_path: Path, logs: Path, env: Mapping[str, str] | None = None
) -> Iterator[RestartableAssistant]:
    """Like :func:`run_assistant`, but the processes can be killed and restarted.

    Args:
        model_path: The trained model archive.
        logs: Where the logs (``actions.log``, ``rasa.log``) and the tracker go.
        env: Extra environment for both processes.

    Yields:
        The running assistant and its two processes.
    """
    rasa_port, action_port = free_port(), free_port()
    token = uuid.uuid4().hex
    environment = {
        **os.environ,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
        # The web chat channel takes the Rasa server's token (channels/doors.py).
        "RASA_TOKEN": token,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TRACKER_DB": str(logs / "tracker.db"),
        **(env or {}),
    }
    actions = RestartableProcess(
        "actions",
        action_server_command(action_port),
        environment,
        logs,
        f"http://127.0.0.1:{action_port}/health",
    )
    rasa = RestartableProcess(
        "rasa",
        rasa_server_command(model_path, rasa_port, token),
        environment,
        logs,
        f"http://127.0.0.1:{rasa_port}/status?token={token}",
    )
    try:
        actions.start()
        rasa.start()
        actions.wait_ready()
        rasa.wait_ready()
        yield RestartableAssistant(
            Assistant(
                f"http://127.0.0.1:{rasa_port}",
                token,
                logs,
                f"http://127.0.0.1:{action_port}",
            ),
            actions,
            rasa,
        )
    finally:
        stop_all(p.process for p in (actions, rasa) if p.process is not None)


def _expand(word: str, env: Mapping[str, str]) -> str:
    """Expand ``$VAR``, ``${VAR}`` and ``${VAR:-default}`` as the shell would."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        default = match.group(2)
        found = env.get(name, "")
        return found if found or default is None else default

    return _VARIABLE.sub(value, word)


def procfile_commands(
    env: Mapping[str, str], procfile: Path = PROCFILE
) -> dict[str, list[str]]:
    """Every process of the Procfile, its command line expanded with ``env``.

    Honcho runs each line through the shell; the Procfile's lines only use
    quoted ``$VAR`` and ``${VAR:-default}``, expanded here the same way, so a
    test starts exactly what ``make run`` starts (and follows the Procfile when
    it changes).

    Args:
        env: The processes' environment.
        procfile: The Procfile to read.

    Returns:
        Process name → argument list.
    """
    commands: dict[str, list[str]] = {}
    for line in procfile.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        commands[name.strip()] = [_expand(w, env) for w in shlex.split(command)]
    return commands


@contextmanager
def run_procfile(
    names: Sequence[str],
    env: Mapping[str, str],
    logs: Path,
    health_urls: Mapping[str, str],
    extra_args: Mapping[str, Sequence[str]] | None = None,
) -> Iterator[dict[str, subprocess.Popen]]:
    """Start Procfile processes as ``make run`` does; stop them afterwards.

    Args:
        names: Which processes, started in this order (``orders``, ``rasa`` ...).
        env: Their environment (ports, tokens, databases: what ``make run``
            takes from the Makefile and ``var/dev.env``).
        logs: Where each process's output goes (``<name>.log``).
        health_urls: Process name → URL that answers 200 once it serves.
        extra_args: Arguments appended to a process's command line (e.g.
            ``--debug``), for a test that wants more than the Procfile's.

    Yields:
        Process name → the running process.
    """
    commands = procfile_commands(env)
    processes: dict[str, subprocess.Popen] = {}
    try:
        for name in names:
            processes[name] = subprocess.Popen(
                [*commands[name], *(extra_args or {}).get(name, ())],
                cwd=ROOT,
                env=dict(env),
                stdout=(logs / f"{name}.log").open("w"),
                stderr=subprocess.STDOUT,
            )
        for name, url in health_urls.items():
            wait_for(url, processes[name])
        yield processes
    finally:
        stop_all(processes.values())
