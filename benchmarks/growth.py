"""Growth benchmark: turn latency with 10, 100 and 500 events already in a conversation.

Usage (from the project root, after ``make model``)::

    .venv/bin/python -m benchmarks.growth                 # both profiles
    .venv/bin/python -m benchmarks.growth --profiles production --sizes 10 100 500 2000

Rasa loads the whole tracker for every message (from memory in the embedded
profile, from PostgreSQL in the production one) and sends it to the action
server. For each size a fresh conversation gets that many events appended
through the HTTP API (small-talk turns: user, action, bot, action_listen), then
is timed over a few FAQ turns (answered by Rasa alone) and a few loyalty turns
(a custom action call to the action server and backends). Figures go to
``benchmarks/results/growth.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import uuid
from typing import Any

import requests

from benchmarks.stack import RESULTS, Stack, run_stack

SAMPLES = 7


def filler_events(count: int) -> list[dict]:
    """``count`` events of plausible small-talk turns, newest last."""
    turn: list[dict[str, Any]] = [
        {"event": "user", "text": "你好",
         "parse_data": {"intent": {"name": "greet", "confidence": 1.0},
                        "entities": []}},
        {"event": "action", "name": "utter_greet"},
        {"event": "bot", "text": "您好，我是小客～"},
        {"event": "action", "name": "action_listen"},
    ]  # fmt: skip
    events = [*turn * (count // len(turn) + 1)][:count]
    # Stamped from now on: a SQL tracker store loads only the events stamped after
    # the session's start, so back-dated filler would not count.
    now = time.time()
    return [{**event, "timestamp": now + 1e-4 * i} for i, event in enumerate(events)]


def say(stack: Stack, sender: str, text: str) -> float:
    started = time.perf_counter()
    response = requests.post(
        f"{stack.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        headers=stack.rest_headers,
        timeout=60,
    )
    response.raise_for_status()
    if not response.json():
        raise RuntimeError(f"no answer to {text!r}")
    return time.perf_counter() - started


def event_count(stack: Stack, sender: str) -> int:
    response = requests.get(
        f"{stack.rasa_url}/conversations/rest:{sender}/tracker",
        params={"token": stack.token, "include_events": "ALL"},
        timeout=60,
    )
    response.raise_for_status()
    return len(response.json()["events"])


def measure(stack: Stack, size: int) -> dict:
    sender = f"growth-{size}-{uuid.uuid4().hex[:8]}"
    # Verify first (a few events), then fill up to ``size``.
    for text in ("我有多少积分", "13800138000", "XK202411110001"):
        say(stack, sender, text)
    missing = size - event_count(stack, sender)
    if missing > 0:
        requests.post(
            f"{stack.rasa_url}/conversations/rest:{sender}/tracker/events",
            params={"token": stack.token},
            json=filler_events(missing),
            timeout=120,
        ).raise_for_status()
    before = event_count(stack, sender)
    faq = [say(stack, sender, "包邮吗") for _ in range(SAMPLES)]
    loyalty = [say(stack, sender, "我有多少积分") for _ in range(SAMPLES)]
    return {
        "events_before": before,
        "events_after": event_count(stack, sender),
        "faq_median_ms": round(1000 * statistics.median(faq)),
        "faq_max_ms": round(1000 * max(faq)),
        "action_median_ms": round(1000 * statistics.median(loyalty)),
        "action_max_ms": round(1000 * max(loyalty)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles", nargs="+", default=["embedded", "production"],
        choices=["embedded", "production"],
    )  # fmt: skip
    parser.add_argument("--sizes", nargs="+", type=int, default=[10, 100, 500])
    args = parser.parse_args()
    report: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "samples_per_size": SAMPLES,
        "profiles": {},
    }
    for profile in args.profiles:
        with run_stack(profile, rasa_workers=1) as stack:
            measure(stack, 10)  # warm-up
            rows = []
            for size in args.sizes:
                row = {"size": size, **measure(stack, size)}
                print(
                    f"{profile:10} {size:>5} events ({row['events_before']} real)  "
                    f"FAQ turn median {row['faq_median_ms']:>5} ms  "
                    f"action turn median {row['action_median_ms']:>5} ms",
                    flush=True,
                )
                rows.append(row)
            report["profiles"][profile] = rows
    report["load_average_at_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "growth.json").write_text(json.dumps(report, indent=2))
    print(f"written to {RESULTS / 'growth.json'}")


if __name__ == "__main__":
    main()
