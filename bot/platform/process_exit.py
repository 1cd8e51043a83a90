"""A service process that is asked to stop ends within seconds, whatever hangs.

aiohttp's ``run_app`` shuts a service down on SIGTERM: it stops accepting,
lets running requests finish, then runs the cleanup contexts (engines disposed,
clients closed). An aiosqlite connection that a request was using when it was
cancelled can hang that cleanup (closing it waits for its worker thread), or,
left open, keep the interpreter waiting for that non-daemon thread at exit. The
suite saw the console and the order service killed 20 s after their SIGTERM;
``make run``'s Ctrl-C, systemd or Kubernetes would wait for their SIGKILL.

``exit_deadline`` (an ``on_shutdown`` handler) starts a daemon timer when the
shutdown begins: a process still alive ``SHUTDOWN_DEADLINE`` seconds later
flushes its logs and exits at once. A clean shutdown ends before it fires.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Any

#: Seconds from the start of a shutdown to the forced exit.
SHUTDOWN_DEADLINE = 8.0

logger = logging.getLogger(__name__)


def leftover_threads() -> list[threading.Thread]:
    """The live non-daemon threads but the main one: what exit would wait for."""
    main = threading.main_thread()
    return [
        thread
        for thread in threading.enumerate()
        if thread is not main and not thread.daemon and thread.is_alive()
    ]


def force_exit(code: int = 0) -> None:
    """Flush the logs and end the process now, naming the threads still running.

    Args:
        code: The exit status.
    """
    left = leftover_threads()
    logger.warning(
        "shutdown did not finish in time; exiting (threads left: %s)",
        ", ".join(thread.name for thread in left) or "none",
    )
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def start_exit_deadline(seconds: float | None = None) -> threading.Timer:
    """Exit the process ``seconds`` from now unless it has ended by then.

    Args:
        seconds: The deadline (``SHUTDOWN_DEADLINE`` when not given).

    Returns:
        The started daemon timer.
    """
    timer = threading.Timer(
        SHUTDOWN_DEADLINE if seconds is None else seconds, force_exit
    )
    timer.daemon = True
    timer.name = "shutdown-deadline"
    timer.start()
    return timer


async def exit_deadline(app: Any) -> None:
    """An aiohttp ``on_shutdown`` handler: the shutdown must end in time.

    Args:
        app: The application shutting down.
    """
    start_exit_deadline()
