"""Load benchmark of the 微信客服 (WeCom kf) channel, beside ``benchmarks/load.py``'s.

Usage (from the project root, after ``make model``)::

    .venv/bin/python -m benchmarks.load_kf                       # 10, 50, 100 shoppers
    .venv/bin/python -m benchmarks.load_kf --profiles embedded --levels 10

Same stack, conversations and shoppers as the REST/WeChat benchmark; the load
driver plays WeCom with ``bot/devtools/wecom_simulator.py``: each shopper is a
new ``external_userid`` whose texts land in the simulator's message log, each
followed by an encrypted callback; the channel answers ``success``, pulls with
``kf/sync_msg`` and answers through ``kf/send_msg``. A turn's latency ends at
its last message (no new message within ``--settle`` seconds ends it).

It prints per-turn latency p50/p95/p99, turns per second, callback HTTP p99,
messages per turn, errors and each process's CPU and memory, and writes them to
``benchmarks/results/load_kf.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from dataclasses import dataclass, field

from benchmarks.load import (
    CONVERSATIONS,
    REQUEST_TIMEOUT,
    ProcessMeter,
    Turns,
    percentile,
    run_shoppers,
    summary,
    think,
)
from benchmarks.stack import RESULTS, run_stack
from bot.devtools.processes import free_port
from bot.devtools.wecom_simulator import CORP_ID, KF_SECRET, WeComPlatform

TOKEN = "bench-wecom-token"
AES_KEY = "BenchWeComKey0123456789abcdefghijklmnopqrst"  # 43 characters


@dataclass
class KfTurns(Turns):
    """A kf level's turns: callback answer times and messages per turn."""

    http: list[float] = field(default_factory=list)
    messages: list[int] = field(default_factory=list)
    refused: int = 0


async def kf_turn(
    platform: WeComPlatform, user: str, text: str, turns: KfTurns, settle: float
) -> None:
    """One message, its callback, and its whole answer."""
    before = len(platform.texts_for(user))
    started = time.perf_counter()
    platform.customer_says(user, text)
    status, _ = await platform.push_callback()
    turns.http.append(time.perf_counter() - started)
    if status != 200:
        turns.error(f"HTTP {status}")
        return
    try:
        await platform.wait_for(user, before + 1, REQUEST_TIMEOUT)
    except TimeoutError:
        turns.error("missing answer")
        return
    arrived = time.perf_counter()
    while True:  # the answer is over when nothing follows within ``settle``
        count = len(platform.texts_for(user))
        try:
            await platform.wait_for(user, count + 1, settle)
        except TimeoutError:
            break
        arrived = time.perf_counter()
    answer = platform.texts_for(user)[before:]
    turns.latencies.append(arrived - started)
    turns.messages.append(len(answer))
    turns.check_texts(answer)


async def run_kf_level(
    meter: ProcessMeter,
    platform: WeComPlatform,
    shoppers: int,
    conversations: int,
    settle: float,
    pause: tuple[float, float],
) -> dict:
    """``shoppers`` at once work through ``conversations`` over 微信客服."""
    turns = KfTurns()

    async def hold(name: str) -> None:
        user = f"wmBench{name.replace('_', '')}{uuid.uuid4().hex[:12]}"
        for index, text in enumerate(CONVERSATIONS[name]):
            await think(pause, index == 0)
            await kf_turn(platform, user, text, turns, settle)

    refused_before = len(platform.refused)
    await meter.run(run_shoppers(shoppers, conversations, hold))
    level = summary("wecom_kf", shoppers, conversations, turns, meter)
    level.update(
        {
            "callback_p99_ms": round(1000 * percentile(turns.http, 0.99)),
            "callback_max_ms": round(1000 * max(turns.http)),
            "messages_per_turn": round(
                sum(turns.messages) / max(len(turns.messages), 1), 2
            ),
            "one_message_percent": round(
                100 * turns.messages.count(1) / max(len(turns.messages), 1), 1
            ),
            "refused_sends": len(platform.refused) - refused_before,
        }
    )
    return level


def run_profile(profile: str, args: argparse.Namespace) -> list[dict]:
    """Start ``profile``'s stack with the kf channel on and run every level."""
    api_port = free_port()
    extra = {
        "WECOM_TOKEN": TOKEN,
        "WECOM_AES_KEY": AES_KEY,
        "WECOM_CORP_ID": CORP_ID,
        "WECOM_KF_SECRET": KF_SECRET,
        "WECOM_API_BASE_URL": f"http://127.0.0.1:{api_port}",
        # A fresh cursor store: the simulator's message log starts empty.
        "WECOM_STATE_DIR": tempfile.mkdtemp(prefix="xiaoke-bench-wecom-"),
    }
    loop = asyncio.new_event_loop()
    levels: list[dict] = []
    try:
        with run_stack(profile, args.rasa_workers, extra_env=extra) as stack:
            platform = WeComPlatform(TOKEN, AES_KEY, server_url=stack.rasa_url)
            loop.run_until_complete(platform.start(port=api_port))
            try:
                sizes = [(1, len(CONVERSATIONS))] + [
                    (n, max(n, args.min_conversations)) for n in args.levels
                ]
                for index, (shoppers, conversations) in enumerate(sizes):
                    pause = tuple(args.think) if index > 0 else (0.0, 0.0)
                    level = loop.run_until_complete(
                        run_kf_level(
                            ProcessMeter(stack),
                            platform,
                            shoppers,
                            conversations,
                            args.settle,
                            (pause[0], pause[1]),
                        )
                    )
                    if index > 0:  # the first is the warm-up
                        print_level(profile, level)
                        levels.append(level)
            finally:
                loop.run_until_complete(platform.stop())
    finally:
        loop.close()
    return levels


def print_level(profile: str, level: dict) -> None:
    processes = "  ".join(
        f"{name} {p['cpu_percent']}% {p['peak_rss_mb']}MB"
        for name, p in level["processes"].items()
    )
    print(
        f"{profile:10} wecom_kf {level['shoppers']:>4} shoppers  "
        f"{level['turns']:>4} turns  p50 {level['p50_ms']:>5} ms  "
        f"p95 {level['p95_ms']:>5} ms  p99 {level['p99_ms']:>5} ms  "
        f"{level['turns_per_second']:>5} turns/s  "
        f"errors {sum(level['errors'].values())}  "
        f"callback p99 {level['callback_p99_ms']} ms  "
        f"one message {level['one_message_percent']}%  "
        f"refused {level['refused_sends']}  | {processes}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles", nargs="+", default=["embedded", "production"],
        choices=["embedded", "production"],
    )  # fmt: skip
    parser.add_argument("--levels", nargs="+", type=int, default=[10, 50, 100])
    parser.add_argument("--min-conversations", type=int, default=6)
    parser.add_argument("--settle", type=float, default=1.5)
    parser.add_argument(
        "--think", nargs=2, type=float, default=[0.0, 0.0], metavar=("MIN", "MAX")
    )
    parser.add_argument("--rasa-workers", type=int, default=None)
    args = parser.parse_args()
    report: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg()},
        "settle_seconds": args.settle,
        "profiles": {p: run_profile(p, args) for p in args.profiles},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "load_kf.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
