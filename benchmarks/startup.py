"""Start-up benchmark: seconds from launch to the first answered message.

Usage: ``.venv/bin/python benchmarks/startup.py`` (from the project root, after
``make model``). Starts the order and CRM services, the action server and the
Rasa server on free ports, sends 你好 until it is answered, and prints and
writes the figures (also the model's size) to ``benchmarks/results/startup.json``.
On a shared machine the wall time depends on what else runs: the figures also
hold the load average at launch and the CPU seconds the Rasa server had used
by the first answer (Linux).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

from bot.devtools.processes import backend_env, free_port
from bot.rasa_server.nlu.encoder_cache import (
    DEFAULT_CACHE_DIR,
    entry_is_complete,
    entry_key,
)

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results" / "startup.json"
LIMIT_SECONDS = 300
#: How often the first message is tried until it is answered (the figure can be
#: late by up to this much; 0.25 s until 2026-12-05 noon).
POLL_SECONDS = 0.05


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU seconds a process has used (Linux's /proc), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def latest_model() -> Path:
    return max((ROOT / "models").glob("*.tar.gz"), key=os.path.getmtime)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="xiaoke-startup-"))
    ports = {name: free_port() for name in ("orders", "crm", "actions", "rasa")}
    env = {
        **os.environ,
        **backend_env(work, ports["orders"], ports["crm"], uuid.uuid4().hex),
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
        "ACTION_SERVER_TOKEN": uuid.uuid4().hex,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TRACKER_DB": str(work / "tracker.db"),
    }
    model = latest_model()
    load_at_launch = os.getloadavg()[0]
    # Written by `make model` or an earlier start (in a background thread, which
    # this benchmark's short run may stop first): without it the start reads
    # the sentence encoder from its package, ≈ 1 s more.
    encoder_cached = entry_is_complete(ROOT / DEFAULT_CACHE_DIR / entry_key())
    commands = {
        "orders": [sys.executable, "-m", "bot.backends.orders"],
        "crm": [sys.executable, "-m", "bot.backends.crm"],
        "actions": [sys.executable, "-m", "bot.action_server", "--actions", "actions",
                    "--port", str(ports["actions"])],
        "rasa": [sys.executable, "-m", "bot.rasa_server", "run",
                 "--model", str(model), "--port", str(ports["rasa"]),
                 "--interface", "127.0.0.1",
                 "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"],
    }  # fmt: skip
    started = time.monotonic()
    processes = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=(work / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for name, command in commands.items()
    ]
    first_reply = None
    rasa_cpu = None
    try:
        url = f"http://127.0.0.1:{ports['rasa']}/webhooks/rest/webhook"
        while time.monotonic() - started < LIMIT_SECONDS:
            try:
                answer = requests.post(
                    url, json={"sender": "bench", "message": "你好"}, timeout=10
                ).json()
                if answer:
                    first_reply = time.monotonic() - started
                    rasa_cpu = cpu_seconds(processes[-1].pid)
                    break
            except (requests.RequestException, ValueError):
                pass
            time.sleep(POLL_SECONDS)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    figures = {
        "seconds_to_first_reply": round(first_reply, 1) if first_reply else None,
        "rasa_cpu_seconds": round(rasa_cpu, 1) if rasa_cpu else None,
        "load_average_at_launch": round(load_at_launch, 2),
        "encoder_cache_at_launch": encoder_cached,
        "model": model.name,
        "model_megabytes": round(model.stat().st_size / 2**20, 1),
        "cpus": os.cpu_count(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
