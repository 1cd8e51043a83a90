"""A service asked to stop ends within its deadline, even with a thread stuck."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# A process whose shutdown has begun while a non-daemon thread (as an aiosqlite
# connection nobody closed) waits forever: without the deadline it never ends.
SCRIPT = textwrap.dedent(
    """
    import logging, threading, time
    from bot.platform import process_exit

    logging.basicConfig(level=logging.INFO)
    threading.Thread(target=threading.Event().wait, name="stuck-db").start()
    process_exit.start_exit_deadline({seconds})
    {after}
    """
)


def _run(seconds: float, after: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(seconds=seconds, after=after)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_stuck_thread_cannot_keep_a_stopping_process_alive():
    done = _run(0.2, "print('main done', flush=True)")  # then exit waits on it
    assert done.returncode == 0
    assert "main done" in done.stdout
    assert "threads left: stuck-db" in done.stderr


def test_a_stuck_shutdown_step_is_cut_short_too():
    done = _run(0.2, "time.sleep(3600)")  # e.g. a close that never returns
    assert done.returncode == 0
    assert "shutdown did not finish in time" in done.stderr
