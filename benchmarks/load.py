"""Load benchmark: simulated shoppers holding whole conversations over the REST channel.

Usage (from the project root, after ``make model``)::

    .venv/bin/python -m benchmarks.load                      # both profiles, 1 10 50
    .venv/bin/python -m benchmarks.load --profiles production --levels 1 10 50 100

For each profile it starts the whole assistant (``benchmarks/stack.py``), warms
it up with one conversation, then for each concurrency level runs that many
shoppers at once; each shopper holds whole conversations (delivery, returns,
warranty, loyalty, small talk, a handoff request) one turn after the other and
waits for each answer. It prints per-turn latency p50/p95/p99, turns per second,
errors, and the CPU and memory of each process, and writes them to
``benchmarks/results/load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from benchmarks.stack import RESULTS, Stack, cpu_seconds, rss_megabytes, run_stack

VERIFY = ["13800138000", "XK202411110001"]
# Whole conversations as 王芳 (C100001) from the README's demo table. A REST
# sender is a new channel identity, so each flow starts with verification.
CONVERSATIONS: dict[str, list[str]] = {
    "delivery": ["我的快递到哪了", *VERIFY, "XK202411110003", "谢谢"],
    "returns": ["我要退货", *VERIFY, "XK202411110004", "耳机", "质量问题", "算了"],
    "warranty": ["登记保修", *VERIFY, "SN3F7T1W6B2X", "好的谢谢"],
    "loyalty": ["我有多少积分", *VERIFY, "积分明细", "再见"],
    "small_talk": ["你好", "包邮吗", "能开发票吗", "你是机器人吗", "谢谢"],
    "handoff": ["你好", "我要投诉", "转人工"],
}
REQUEST_TIMEOUT = 60


@dataclass
class Turns:
    """What one concurrency level measured."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        """Count one error of ``kind``."""
        self.errors[kind] = self.errors.get(kind, 0) + 1


async def hold_conversation(
    session: aiohttp.ClientSession, url: str, name: str, turns: Turns
) -> None:
    sender = f"bench-{name}-{uuid.uuid4().hex[:10]}"
    for text in CONVERSATIONS[name]:
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as r:
                body = await r.json(content_type=None) if r.status == 200 else None
                status = r.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            turns.error(type(error).__name__)
            continue
        turns.latencies.append(time.perf_counter() - started)
        if status != 200:
            turns.error(f"HTTP {status}")
        elif not body:
            turns.error("no answer")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def run_level(stack: Stack, shoppers: int, conversations: int) -> dict:
    """``shoppers`` at once work through ``conversations`` whole conversations."""
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    names = itertools.cycle(CONVERSATIONS)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for _ in range(conversations):
        queue.put_nowait(next(names))
    turns = Turns()
    trees = stack.trees()
    cpu_before = {name: cpu_seconds(pids) for name, pids in trees.items()}
    peak_rss = {name: rss_megabytes(pids) for name, pids in trees.items()}

    async def shopper(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            await hold_conversation(session, url, queue.get_nowait(), turns)

    async def sample_memory(done: asyncio.Event) -> None:
        while not done.is_set():
            for name, pids in trees.items():
                peak_rss[name] = max(peak_rss[name], rss_megabytes(pids))
            await asyncio.sleep(0.5)

    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=shoppers)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        done = asyncio.Event()
        sampler = asyncio.create_task(sample_memory(done))
        started = time.perf_counter()
        await asyncio.gather(*(shopper(session) for _ in range(shoppers)))
        elapsed = time.perf_counter() - started
        done.set()
        await sampler
    latencies = turns.latencies
    return {
        "shoppers": shoppers,
        "conversations": conversations,
        "turns": len(latencies),
        "seconds": round(elapsed, 1),
        "turns_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(1000 * percentile(latencies, 0.50)),
        "p95_ms": round(1000 * percentile(latencies, 0.95)),
        "p99_ms": round(1000 * percentile(latencies, 0.99)),
        "mean_ms": round(1000 * statistics.fmean(latencies)),
        "errors": turns.errors,
        "processes": {
            name: {
                "cpu_percent": round(
                    100 * (cpu_seconds(pids) - cpu_before[name]) / elapsed
                ),
                "peak_rss_mb": round(peak_rss[name]),
                "processes": len(pids),
            }
            for name, pids in trees.items()
        },
    }


def print_level(profile: str, level: dict) -> None:
    processes = "  ".join(
        f"{name} {p['cpu_percent']}% {p['peak_rss_mb']}MB"
        for name, p in level["processes"].items()
    )
    print(
        f"{profile:10} {level['shoppers']:>4} shoppers  {level['turns']:>4} turns  "
        f"p50 {level['p50_ms']:>5} ms  p95 {level['p95_ms']:>5} ms  "
        f"p99 {level['p99_ms']:>5} ms  {level['turns_per_second']:>5} turns/s  "
        f"errors {sum(level['errors'].values())}  | {processes}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles", nargs="+", default=["embedded", "production"],
        choices=["embedded", "production"],
    )  # fmt: skip
    parser.add_argument("--levels", nargs="+", type=int, default=[1, 10, 50])
    parser.add_argument(
        "--min-conversations", type=int, default=6,
        help="conversations per level at least (default 6: one of each)",
    )  # fmt: skip
    parser.add_argument(
        "--rasa-workers", type=int, default=None,
        help="SANIC_WORKERS for both servers (default: the profile's)",
    )  # fmt: skip
    parser.add_argument(
        "--plain-rasa", action="store_true",
        help="run Rasa's own CLI, without bot/rasa_server.py's fix (to compare)",
    )  # fmt: skip
    args = parser.parse_args()
    rasa_command = (
        [str(Path(sys.executable).parent / "rasa")] if args.plain_rasa else None
    )
    report: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_start": os.getloadavg(),
        },
        "plain_rasa": args.plain_rasa,
        "profiles": {},
    }
    for profile in args.profiles:
        with run_stack(profile, args.rasa_workers, rasa_command=rasa_command) as stack:
            asyncio.run(run_level(stack, 1, len(CONVERSATIONS)))  # warm-up
            levels = []
            for shoppers in args.levels:
                conversations = max(shoppers, args.min_conversations)
                level = asyncio.run(run_level(stack, shoppers, conversations))
                print_level(profile, level)
                levels.append(level)
            report["profiles"][profile] = levels
    report["machine"]["load_average_at_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "load_plain_rasa" if args.plain_rasa else "load"
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
