"""Several Sanic workers, each with its own listening socket (``SO_REUSEPORT``).

Sanic 21.12 (Rasa 3.6's) runs ``workers > 1`` by binding one socket in the main
process and forking the workers, which all accept on it. Whichever worker is
awake when connections arrive takes them, and with keep-alive clients (a load
balancer, the WeChat platform's pooled connections, our load driver) the
connections stay where they landed: in two of five production runs of
``benchmarks.load --channel wechat --levels 200`` one of the two Rasa workers
served almost every request (28 s of CPU against 3 s) and capacity fell from
≈ 48 to 27–36 turns/s (benchmarks/README.md, "Two workers, one doing the work").

Here each worker binds the address itself with ``SO_REUSEPORT``: the kernel then
spreads new connections over the workers' sockets by their addresses, whatever
the workers are busy with. Everything else is Sanic's ``serve_multiple``: the
same settings, signals and shutdown. A Unix socket or a socket handed in keeps
Sanic's own way.

The workers start listening together. A worker binds its socket only after its
``before_server_start`` listeners ran (Rasa loads the model there, seconds), and
the first one ready used to take every connection opened before the others
were: a client that connects as soon as the server answers (a health check
then a load balancer's or the load driver's keep-alive pool) stayed on that one
worker for good, and half of the production profile's capacity benchmarks ran
on one worker (28–29 turns/s against 37–48, benchmarks/README.md, "Production
capacity: both workers from the first connection"). Each worker now waits,
after its listeners, until every worker has reached that point (at most
``READY_TIMEOUT`` seconds; a worker that ends while starting releases the others
at once), and only then binds.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import multiprocessing.connection
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from signal import SIG_DFL, SIGINT, SIGTERM, signal
from typing import Any

ServeMultiple = Callable[[dict[str, Any], int], None]

logger = logging.getLogger(__name__)

#: Seconds a ready worker waits for the others before it listens anyway.
READY_TIMEOUT = 180.0
#: Seconds between a waiting worker's looks at the others.
_GATE_POLL = 0.01


def check_address_free(host: str, port: int) -> None:
    """Fail early, in the main process, when the address is taken.

    The probe binds *without* ``SO_REUSEPORT``, so it also fails when another
    server listens there with ``SO_REUSEPORT`` (a second ``make run``, an old
    server still running): its workers would otherwise join that server's
    sockets and the two would silently share the port's connections.

    Args:
        host: The interface to listen on.
        port: The TCP port.

    Raises:
        OSError: The port is taken, or the host is not an address of this machine.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def serve_with_own_sockets(
    server_settings: dict[str, Any], workers: int, *, fallback: ServeMultiple
) -> None:
    """Sanic's ``serve_multiple``, with one ``SO_REUSEPORT`` socket per worker.

    Args:
        server_settings: What Sanic's ``app.run`` passes to ``serve``.
        workers: How many worker processes.
        fallback: Sanic's own ``serve_multiple``, for a Unix or given socket.
    """
    from sanic.server import serve
    from sanic.server.events import trigger_events

    if server_settings.get("sock") is not None or server_settings.get("unix"):
        fallback(server_settings, workers)
        return
    check_address_free(server_settings["host"], server_settings["port"])
    server_settings["reuse_port"] = True
    server_settings["run_multiple"] = True
    main_start = server_settings.pop("main_start", None)
    main_stop = server_settings.pop("main_stop", None)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    trigger_events(main_start, loop)
    processes: list[multiprocessing.process.BaseProcess] = []

    def stop_workers(signum: int, frame: Any) -> None:
        for process in processes:
            if process.pid is not None:
                os.kill(process.pid, SIGTERM)

    signal(SIGINT, stop_workers)
    signal(SIGTERM, stop_workers)
    forking = multiprocessing.get_context("fork")
    # Shared memory without locks (each worker writes only its own slot): a
    # worker killed at any moment cannot leave the others blocked on a lock.
    started = forking.RawArray("b", workers)
    released = forking.RawValue("b", 0)
    for index in range(workers):
        gate = StartGate(started, released, index)
        process = forking.Process(
            target=serve_when_all_ready,
            args=(serve, server_settings, gate, READY_TIMEOUT),
        )
        process.daemon = True
        process.start()
        processes.append(process)
    running = list(processes)
    while running:
        ended = multiprocessing.connection.wait([p.sentinel for p in running])
        running = [p for p in running if p.sentinel not in ended]
        # A worker that ended (one failing at start-up) must not keep the
        # others waiting for it; once they all listen this changes nothing.
        released.value = 1
    for worker in processes:
        worker.terminate()
    trigger_events(main_stop, loop)
    loop.close()


@dataclass(frozen=True)
class StartGate:
    """Where the workers tell each other they are ready to listen.

    Attributes:
        started: One flag per worker, set once its start-up listeners ran
            (a ``multiprocessing.RawArray``).
        released: Set by the main process when a worker ended: the others stop
            waiting (a ``multiprocessing.RawValue``).
        index: This worker's flag.
    """

    started: Any
    released: Any
    index: int

    def arrive(self) -> None:
        """Tell the other workers this one is ready."""
        self.started[self.index] = 1

    def all_ready(self) -> bool:
        """Whether every worker is ready."""
        return all(self.started)

    def is_open(self) -> bool:
        """Whether to listen now: every worker is ready, or one has ended."""
        return bool(self.released.value) or self.all_ready()


def serve_when_all_ready(
    serve: Callable[..., Any],
    server_settings: dict[str, Any],
    gate: StartGate,
    timeout: float,
) -> None:
    """In a worker: Sanic's ``serve``, listening once every worker is ready.

    Args:
        serve: Sanic's ``serve``.
        server_settings: Its arguments.
        gate: This worker's place among the workers.
        timeout: Seconds to wait for the others before listening anyway.
    """

    async def when_all_ready(app: Any, loop: Any) -> None:
        # Registered last, so it runs after the listeners registered before the
        # fork (Rasa's model loading). Polled: the loop keeps running what
        # start-up began (the event broker's heartbeats).
        gate.arrive()
        deadline = loop.time() + timeout
        # Other processes set the flags: no asyncio.Event can tell this loop.
        while not gate.is_open() and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(_GATE_POLL)
        if not gate.all_ready():
            logger.warning(
                "worker %d: another worker ended, or not every worker was ready "
                "within %.0f s; listening anyway",
                os.getpid(),
                timeout,
            )

    # Until Sanic sets its own handlers (once listening), a stop signal ends a
    # worker that is still starting: the parent's handler, inherited by the
    # fork, would only pass the signal on to the other workers.
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
    server_settings["app"].register_listener(when_all_ready, "before_server_start")
    serve(**server_settings)


def install_worker_sockets() -> None:
    """Make ``Sanic.run(workers=N)`` give each worker its own socket.

    Call before the app runs (the forked workers inherit it). Idempotent.
    """
    import sanic.app

    current = sanic.app.serve_multiple
    if getattr(current, "own_sockets", False):
        return

    def serve_multiple(server_settings: dict[str, Any], workers: int) -> None:
        serve_with_own_sockets(server_settings, workers, fallback=current)

    serve_multiple.own_sockets = True  # type: ignore[attr-defined]
    sanic.app.serve_multiple = serve_multiple
