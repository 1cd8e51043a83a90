"""Two Sanic workers, each with its own socket (``bot.platform.worker_sockets``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.devtools.processes import free_port
from bot.platform.worker_sockets import check_address_free
from tests.conftest import ROOT
from tests.support.processes import stop_process

#: Connections opened one after the other, each a new TCP connection.
CONNECTIONS = 64


def listening_sockets(port: int) -> int:
    """How many sockets listen on 127.0.0.1:``port`` (``/proc/net/tcp``)."""
    wanted = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    fields = [line.split() for line in lines]
    return sum(1 for f in fields if f[1] == wanted and f[3] == "0A")  # 0A: LISTEN


def worker_pid(port: int) -> str:
    """Ask on a new connection which worker answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := conn.recv(4096):
            data += chunk
    return data.split(b"\r\n\r\n", 1)[1].decode()


def _launch(mode: str, tmp_path: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    command = [sys.executable, "-m", "tests.support.pid_server", str(port), mode]
    process = subprocess.Popen(
        [*command, str(tmp_path / "marker")],
        cwd=ROOT,
        stdout=(tmp_path / f"{mode}.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    return process, port


def start(mode: str, tmp_path: Path) -> tuple[subprocess.Popen, int]:
    process, port = _launch(mode, tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"pid server exited with {process.returncode}")
        if listening_sockets(port) and len({worker_pid(port) for _ in range(20)}) == 2:
            return process, port
        time.sleep(0.3)
    stop_process(process)
    pytest.fail("the pid server's two workers did not both answer within 60 s")


@pytest.fixture
def own_sockets(tmp_path: Path) -> Iterator[int]:
    process, port = start("own", tmp_path)
    try:
        yield port
    finally:
        stop_process(process)


def test_each_worker_listens_on_its_own_socket(own_sockets):
    assert listening_sockets(own_sockets) == 2


def test_connections_are_spread_over_both_workers(own_sockets):
    answered = Counter(worker_pid(own_sockets) for _ in range(CONNECTIONS))
    assert len(answered) == 2
    # The kernel hashes each connection's addresses: about half each. Under a
    # quarter for one of them has a chance of about 1 in 10,000.
    assert min(answered.values()) >= CONNECTIONS // 4


def test_no_worker_listens_before_every_worker_is_ready(tmp_path):
    # One worker starts 3 s slower (Rasa's model loading, on a busy machine):
    # the first connections possible must still reach both workers, or a
    # keep-alive pool opened at once stays on the fast one for good.
    process, port = _launch("own-slow", tmp_path)
    try:
        deadline = time.monotonic() + 60
        while not listening_sockets(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the pid server did not start listening")
            time.sleep(0.01)
        # The workers bind one after the other, within milliseconds once both
        # are ready; the slow one would still be starting for 2.5 s more.
        time.sleep(0.5)
        assert listening_sockets(port) == 2
        answered = Counter(worker_pid(port) for _ in range(CONNECTIONS))
        assert len(answered) == 2
        assert min(answered.values()) >= CONNECTIONS // 4
    finally:
        stop_process(process)


def test_a_worker_that_fails_to_start_does_not_hold_the_others_back(tmp_path):
    # The others would otherwise wait READY_TIMEOUT (minutes) before listening.
    process, port = _launch("own-crash", tmp_path)
    try:
        deadline = time.monotonic() + 20
        while not listening_sockets(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the remaining worker did not start listening in 20 s")
            time.sleep(0.05)
        assert listening_sockets(port) == 1
        assert worker_pid(port).isdigit()
    finally:
        stop_process(process)


def test_stopping_the_server_while_a_worker_starts_stops_it(tmp_path):
    # SIGTERM while one worker waits for the other: the server ends, instead of
    # the workers swallowing the signal and serving on.
    process, port = _launch("own-slow", tmp_path)
    try:
        time.sleep(1.0)  # the fast worker waits, the slow one is still starting
        assert listening_sockets(port) == 0
        process.terminate()
        process.wait(timeout=5)
        time.sleep(0.2)
        assert listening_sockets(port) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_sanics_own_way_shares_one_socket(tmp_path):
    # What the module replaces: one socket, which the busy worker can hog.
    process, port = start("shared", tmp_path)
    try:
        assert listening_sockets(port) == 1
    finally:
        stop_process(process)


def test_a_taken_port_is_reported_before_any_worker_starts():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            check_address_free("127.0.0.1", taken.getsockname()[1])


def test_a_port_another_server_shares_out_is_refused_too():
    # A server already listening with SO_REUSEPORT (a second `make run`): the
    # workers could join its sockets, so the start must be refused.
    with socket.socket() as other:
        other.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(OSError):
            check_address_free("127.0.0.1", other.getsockname()[1])


def test_a_free_port_passes():
    port = free_port()
    check_address_free("127.0.0.1", port)
    # and the probe leaves nothing behind
    assert listening_sockets(port) == 0
