"""Load benchmark: shoppers holding whole conversations over REST and WeChat.

Usage (from the project root, after ``make model``)::

    .venv/bin/python -m benchmarks.load               # both profiles and channels
    .venv/bin/python -m benchmarks.load --channel wechat --levels 10 100

For each profile it starts the whole assistant (``benchmarks/stack.py``) with the
WeChat channel on in safe (AES) mode, warms it up with one conversation of each
kind per channel, then for each channel and concurrency level runs that many
shoppers at once; each shopper holds whole conversations (delivery, returns,
warranty, loyalty, small talk, a handoff request) one turn after the other and
waits for each whole answer.

Over WeChat the load driver plays the platform with the simulator of
``bot/devtools/wechat_simulator.py``: each shopper is a new openid whose texts
go as signed, encrypted pushes (5-second timeout, up to three attempts); the
answer is the passive reply or the customer-service messages the channel sends
to the simulator's API afterwards. A turn is *in the window* when the first
push got its HTTP 200 within WeChat's 5 seconds. The *passive share* is the
share of answered turns whose answer was the passive reply alone (the channel
joins a turn's messages into one reply when they fit in 2048 bytes); an answer
too long for one reply is passive first and its rest arrives through the API
after the turn was taken as ended, so it shows as stragglers.

It prints per-turn latency p50/p95/p99, turns per second, errors, and the CPU
and memory of each process, and writes them to ``benchmarks/results/load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.stack import (
    RESULTS,
    Stack,
    WeChatAccount,
    cpu_seconds,
    rss_megabytes,
    run_stack,
)
from bot.devtools.processes import free_port
from bot.devtools.wechat_simulator import UNAVAILABLE, Delivery, WeChatPlatform
from bot.rasa_server.resilience.replies import (
    ACTION_SERVER_DOWN_REPLY,
    HANDOFF_DOWN_REPLY,
)
from bot.wechat.config import DEFAULT_REPLY_BUDGET
from bot.wechat.replies import ERROR_REPLY

VERIFY = ["13800138000", "XK202411110001"]
# Whole conversations as 王芳 (C100001) from the README's demo table. A REST
# sender or a new openid is an unbound identity, so each flow starts with
# verification.
CONVERSATIONS: dict[str, list[str]] = {
    "delivery": ["我的快递到哪了", *VERIFY, "XK202411110003", "谢谢"],
    "returns": ["我要退货", *VERIFY, "XK202411110004", "耳机", "质量问题", "算了"],
    "warranty": ["登记保修", *VERIFY, "SN3F7T1W6B2X", "好的谢谢"],
    "loyalty": ["我有多少积分", *VERIFY, "积分明细", "再见"],
    "small_talk": ["你好", "包邮吗", "能开发票吗", "你是机器人吗", "谢谢"],
    "handoff": ["你好", "我要投诉", "转人工"],
}
REQUEST_TIMEOUT = 60
# What a shopper reads when a turn failed inside the assistant.
FAILURE_TEXTS = {
    ERROR_REPLY: "error reply",
    ACTION_SERVER_DOWN_REPLY: "action server apology",
    HANDOFF_DOWN_REPLY: "handoff apology",
}
WECHAT_WINDOW = 5.0  # seconds WeChat waits for the HTTP answer to a push
DRAIN = 3.0  # seconds to wait after a WeChat level for stray late messages


@dataclass
class Turns:
    """What one concurrency level measured."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    by_turn: dict[str, list[float]] = field(default_factory=dict)

    def record(self, name: str, index: int, seconds: float) -> None:
        """Count one turn's latency, overall and for its place in its conversation."""
        self.latencies.append(seconds)
        self.by_turn.setdefault(f"{name}#{index}", []).append(seconds)

    def error(self, kind: str) -> None:
        """Count one error of ``kind``."""
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def check_texts(self, texts: list[str]) -> None:
        """Count a failure apology among the texts the shopper read."""
        for text in texts:
            if text in FAILURE_TEXTS:
                self.error(FAILURE_TEXTS[text])


@dataclass
class WeChatTurns(Turns):
    """A WeChat level's turns, with how their answers travelled.

    Attributes:
        http: Seconds to the first push's HTTP answer (5 s when it timed out).
        in_window: Turns whose first push got HTTP 200 within 5 s.
        passive: Turns answered by a passive reply.
        late: Turns answered through the customer-service API.
        retried: Turns whose first push timed out (WeChat retried).
        gaps: Seconds between consecutive customer-service messages of an answer.
        closed: Per openid, how many messages it had read when its last turn ended.
        stragglers: Messages that arrived after their turn was taken as ended.
    """

    http: list[float] = field(default_factory=list)
    in_window: int = 0
    passive: int = 0
    late: int = 0
    retried: int = 0
    gaps: list[float] = field(default_factory=list)
    closed: dict[str, int] = field(default_factory=dict)
    stragglers: int = 0


class TimedPlatform(WeChatPlatform):
    """The WeChat simulator, stamping when each message reached the shopper."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.arrivals: dict[str, list[float]] = {}

    def _see(self, delivery: Delivery) -> None:
        self.arrivals.setdefault(delivery.openid, []).append(time.perf_counter())
        super()._see(delivery)


class ProcessMeter:
    """CPU share and peak RSS of each process tree (and the load driver) over a level.

    Args:
        stack: The running stack.
    """

    def __init__(self, stack: Stack) -> None:
        self.trees = {**stack.trees(), "driver": [os.getpid()]}
        self.elapsed = 0.0

    async def run(self, load: Awaitable[Any]) -> None:
        """Await ``load`` while sampling memory; ``elapsed`` is its wall time."""
        cpu_before = {name: cpu_seconds(pids) for name, pids in self.trees.items()}
        peak = {name: rss_megabytes(pids) for name, pids in self.trees.items()}
        done = asyncio.Event()

        async def sample_memory() -> None:
            while not done.is_set():
                for name, pids in self.trees.items():
                    peak[name] = max(peak[name], rss_megabytes(pids))
                await asyncio.sleep(0.5)

        sampler = asyncio.create_task(sample_memory())
        started = time.perf_counter()
        await load
        self.elapsed = time.perf_counter() - started
        done.set()
        await sampler
        self.figures = {
            name: {
                "cpu_percent": round(
                    100 * (cpu_seconds(pids) - cpu_before[name]) / self.elapsed
                ),
                "peak_rss_mb": round(peak[name]),
                "processes": len(pids),
            }
            for name, pids in self.trees.items()
        }


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def conversation_queue(conversations: int) -> asyncio.Queue[str]:
    names = itertools.cycle(CONVERSATIONS)
    queue: asyncio.Queue[str] = asyncio.Queue()
    for _ in range(conversations):
        queue.put_nowait(next(names))
    return queue


async def run_shoppers(
    shoppers: int, conversations: int, hold: Callable[[str], Awaitable[None]]
) -> None:
    """``shoppers`` at once take conversations from a queue until it is empty."""
    queue = conversation_queue(conversations)

    async def shopper() -> None:
        while not queue.empty():
            await hold(queue.get_nowait())

    await asyncio.gather(*(shopper() for _ in range(shoppers)))


def summary(
    channel: str, shoppers: int, conversations: int, turns: Turns, meter: ProcessMeter
) -> dict:
    latencies = turns.latencies or [float("nan")]
    return {
        "channel": channel,
        "shoppers": shoppers,
        "conversations": conversations,
        "turns": len(turns.latencies),
        "seconds": round(meter.elapsed, 1),
        "turns_per_second": round(len(turns.latencies) / meter.elapsed, 1),
        "p50_ms": round(1000 * percentile(latencies, 0.50)),
        "p95_ms": round(1000 * percentile(latencies, 0.95)),
        "p99_ms": round(1000 * percentile(latencies, 0.99)),
        "mean_ms": round(1000 * statistics.fmean(latencies)),
        "errors": turns.errors,
        "processes": meter.figures,
        "slowest_turns": slowest_turns(turns),
    }


def slowest_turns(turns: Turns, count: int = 8) -> list[dict]:
    """The turns with the highest p95, each named by its conversation and place.

    Args:
        turns: The level's turns.
        count: How many to list.

    Returns:
        Per turn: ``turn`` (``name#index``), its text, how often it ran, p50 and p95.
    """
    rows: list[dict] = []
    for key, values in turns.by_turn.items():
        name, index = key.rsplit("#", 1)
        rows.append(
            {
                "turn": key,
                "text": CONVERSATIONS[name][int(index)],
                "n": len(values),
                "p50_ms": round(1000 * percentile(values, 0.50)),
                "p95_ms": round(1000 * percentile(values, 0.95)),
            }
        )
    rows.sort(key=lambda row: row["p95_ms"], reverse=True)
    return rows[:count]


# --- REST ---------------------------------------------------------------------


async def think(pause: tuple[float, float], first: bool) -> None:
    """A shopper reads the answer and types the next message.

    Before the first message the shopper arrives at a random moment within the
    longest pause, so that not every shopper of a level writes at the same
    instant (a burst no real shop sees); with no pause, all start at once.
    """
    if pause[1] <= 0:
        return
    low = 0.0 if first else pause[0]
    await asyncio.sleep(random.uniform(low, pause[1]))


async def hold_conversation(
    session: aiohttp.ClientSession,
    url: str,
    name: str,
    turns: Turns,
    pause: tuple[float, float] = (0.0, 0.0),
) -> None:
    sender = f"bench-{name}-{uuid.uuid4().hex[:10]}"
    for index, text in enumerate(CONVERSATIONS[name]):
        await think(pause, index == 0)
        started = time.perf_counter()
        try:
            async with session.post(url, json={"sender": sender, "message": text}) as r:
                body = await r.json(content_type=None) if r.status == 200 else None
                status = r.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            turns.error(type(error).__name__)
            continue
        turns.record(name, index, time.perf_counter() - started)
        if status != 200:
            turns.error(f"HTTP {status}")
        elif not body:
            turns.error("no answer")
        else:
            turns.check_texts([str(item.get("text", "")) for item in body])


async def run_level(
    stack: Stack,
    shoppers: int,
    conversations: int,
    pause: tuple[float, float] = (0.0, 0.0),
) -> dict:
    """``shoppers`` at once work through ``conversations`` over the REST channel."""
    url = f"{stack.rasa_url}/webhooks/rest/webhook"
    turns = Turns()
    meter = ProcessMeter(stack)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=shoppers)
    async with aiohttp.ClientSession(
        timeout=timeout, connector=connector, headers=stack.rest_headers
    ) as session:

        async def hold(name: str) -> None:
            await hold_conversation(session, url, name, turns, pause)

        await meter.run(run_shoppers(shoppers, conversations, hold))
    return summary("rest", shoppers, conversations, turns, meter)


# --- WeChat -------------------------------------------------------------------


async def wechat_turn(
    simulator: TimedPlatform,
    openid: str,
    text: str,
    turns: WeChatTurns,
    settle: float,
) -> None:
    """One push and its whole answer; the latency ends at its last message."""
    inbox = simulator.inbox.setdefault(openid, [])
    before = len(inbox)
    turns.stragglers += before - turns.closed.get(openid, before)
    started = time.perf_counter()
    result = await simulator.say(openid, text)
    first = result.attempts[0]
    turns.http.append(first.seconds)
    turns.in_window += first.status == 200
    turns.retried += first.status is None
    for attempt in result.attempts:
        if attempt.status not in (None, 200):
            turns.error(f"HTTP {attempt.status}")
    if result.accepted is None:
        turns.error("no HTTP 200 in 3 attempts (该公众号暂时无法提供服务)")
    elif result.reply == UNAVAILABLE:
        turns.error("unreadable reply (该公众号暂时无法提供服务)")
    elif result.reply is not None:
        turns.passive += 1
    else:  # ``success``: the answer comes through the customer-service API
        turns.late += 1
        await simulator.wait_for_inbox(openid, before + 1, REQUEST_TIMEOUT)
        if len(inbox) == before:
            turns.error("missing answer")
        while len(inbox) > before:  # the answer is over when nothing follows
            count = len(inbox)
            await simulator.wait_for_inbox(openid, count + 1, settle)
            if len(inbox) == count:
                break
        stamps = simulator.arrivals[openid][before:]
        turns.gaps.extend(
            later - earlier for earlier, later in itertools.pairwise(stamps)
        )
    answer = inbox[before:]
    if answer and result.accepted is not None and result.reply != UNAVAILABLE:
        turns.latencies.append(simulator.arrivals[openid][-1] - started)
        turns.check_texts([delivery.text for delivery in answer])
    turns.closed[openid] = len(inbox)


async def run_wechat_level(
    stack: Stack,
    simulator: TimedPlatform,
    shoppers: int,
    conversations: int,
    settle: float,
    pause: tuple[float, float] = (0.0, 0.0),
) -> dict:
    """``shoppers`` at once work through ``conversations`` over the WeChat channel."""
    turns = WeChatTurns()
    meter = ProcessMeter(stack)

    async def hold(name: str) -> None:
        openid = f"o-bench-{name}-{uuid.uuid4().hex[:12]}"
        for index, text in enumerate(CONVERSATIONS[name]):
            await think(pause, index == 0)
            await wechat_turn(simulator, openid, text, turns, settle)

    await meter.run(run_shoppers(shoppers, conversations, hold))
    await asyncio.sleep(DRAIN)
    for openid, closed in turns.closed.items():
        turns.stragglers += len(simulator.inbox.get(openid, [])) - closed
    level = summary("wechat", shoppers, conversations, turns, meter)
    pushed = len(turns.http)
    level.update(
        {
            "pushes": pushed,
            "in_window_percent": round(100 * turns.in_window / max(pushed, 1), 1),
            "http_p50_ms": round(1000 * percentile(turns.http, 0.50)),
            "http_p95_ms": round(1000 * percentile(turns.http, 0.95)),
            "http_p99_ms": round(1000 * percentile(turns.http, 0.99)),
            "http_max_ms": round(1000 * max(turns.http)),
            "passive": turns.passive,
            "customer_service": turns.late,
            "passive_percent": passive_percent(turns),
            "retried": turns.retried,
            "max_gap_ms": round(1000 * max(turns.gaps, default=0.0)),
            "settle_ms": round(1000 * settle),
            # Shopper time spent making sure an API answer was over: think time
            # the server does not see, so it lowers turns/s at low levels.
            "settle_share_percent": round(
                100 * turns.late * settle / (shoppers * meter.elapsed), 1
            ),
            "stragglers": turns.stragglers,
        }
    )
    return level


def passive_percent(turns: WeChatTurns) -> float:
    """The share of answered turns (passive or through the API) answered passively."""
    answered = turns.passive + turns.late
    return round(100 * turns.passive / answered, 1) if answered else 0.0


# --- report -------------------------------------------------------------------


def print_level(profile: str, level: dict) -> None:
    processes = "  ".join(
        f"{name} {p['cpu_percent']}% {p['peak_rss_mb']}MB"
        for name, p in level["processes"].items()
    )
    wechat = ""
    if level["channel"] == "wechat":
        wechat = (
            f"  in 5 s {level['in_window_percent']}%  "
            f"HTTP p99 {level['http_p99_ms']} ms  passive {level['passive']}/"
            f"{level['pushes']} ({level['passive_percent']}%)  "
            f"settling {level['settle_share_percent']}%  "
            f"max gap {level['max_gap_ms']} ms  "
            f"stragglers {level['stragglers']}"
        )
    print(
        f"{profile:10} {level['channel']:6} {level['shoppers']:>4} shoppers  "
        f"{level['turns']:>4} turns  p50 {level['p50_ms']:>5} ms  "
        f"p95 {level['p95_ms']:>5} ms  p99 {level['p99_ms']:>5} ms  "
        f"{level['turns_per_second']:>5} turns/s  "
        f"errors {sum(level['errors'].values())}{wechat}  | {processes}",
        flush=True,
    )
    for row in level.get("slowest_turns", [])[:5]:
        print(
            f"    slow: {row['turn']:14} p50 {row['p50_ms']:>5} ms  "
            f"p95 {row['p95_ms']:>5} ms  n {row['n']:>3}  {row['text']}",
            flush=True,
        )


def overall_passive_percent(report: dict) -> float | None:
    """The passive share over all WeChat levels and profiles (``None``: none ran)."""
    levels = [
        level
        for channels in report["profiles"].values()
        for level in channels.get("wechat", [])
    ]
    answered = sum(level["passive"] + level["customer_service"] for level in levels)
    if not answered:
        return None
    return round(100 * sum(level["passive"] for level in levels) / answered, 1)


def milliseconds(value: int) -> str:
    return f"{value / 1000:.2f} s" if value >= 1000 else f"{value} ms"


def markdown_table(report: dict) -> str:
    """All levels as the README's table."""
    lines = [
        "| profile | channel | shoppers | turns | p50 | p95 | p99 | turns/s "
        "| errors | in 5 s | Rasa CPU / RSS | actions CPU / RSS | orders, crm CPU "
        "| driver CPU |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for profile, channels in report["profiles"].items():
        for channel, levels in channels.items():
            for level in levels:
                p = level["processes"]
                window = (
                    f"{level['in_window_percent']} %" if channel == "wechat" else "–"
                )
                lines.append(
                    f"| {profile} | {channel} | {level['shoppers']} | {level['turns']} "
                    f"| {milliseconds(level['p50_ms'])} "
                    f"| {milliseconds(level['p95_ms'])} "
                    f"| {milliseconds(level['p99_ms'])} "
                    f"| {level['turns_per_second']} "
                    f"| {sum(level['errors'].values())} | {window} "
                    f"| {p['rasa']['cpu_percent']} % / {p['rasa']['peak_rss_mb']} MB "
                    f"| {p['actions']['cpu_percent']} % / "
                    f"{p['actions']['peak_rss_mb']} MB "
                    f"| {p['orders']['cpu_percent']} %, {p['crm']['cpu_percent']} % "
                    f"| {p['driver']['cpu_percent']} % |"
                )
    return "\n".join(lines)


def level_coroutine(
    channel: str,
    stack: Stack,
    simulator: TimedPlatform,
    shoppers: int,
    conversations: int,
    settle: float,
    pause: tuple[float, float] = (0.0, 0.0),
) -> Awaitable[dict]:
    """One level on ``channel``."""
    if channel == "rest":
        return run_level(stack, shoppers, conversations, pause)
    return run_wechat_level(stack, simulator, shoppers, conversations, settle, pause)


def run_profile(profile: str, args: argparse.Namespace) -> dict[str, list[dict]]:
    """Start ``profile``'s stack once and run every channel and level on it."""
    rasa_command = (
        [str(Path(sys.executable).parent / "rasa")] if args.plain_rasa else None
    )
    channels = ["rest", "wechat"] if args.channel == "both" else [args.channel]
    account = WeChatAccount()
    api_port = free_port()
    extra = account.env(f"http://127.0.0.1:{api_port}") if "wechat" in channels else {}
    # One loop for the whole profile: the simulator's API must keep serving the
    # channel's late answers from warm-up to the last level.
    loop = asyncio.new_event_loop()
    results: dict[str, list[dict]] = {}
    try:
        with run_stack(
            profile, args.rasa_workers, rasa_command=rasa_command, extra_env=extra
        ) as stack:
            simulator = TimedPlatform(
                token=account.token,
                app_id=account.app_id,
                app_secret=account.app_secret,
                aes_key=account.aes_key,
                mode="safe",
                server_url=stack.rasa_url,
            )
            loop.run_until_complete(simulator.start(port=api_port))
            try:
                for channel in channels:
                    results[channel] = []
                    warm_up = [(1, len(CONVERSATIONS))]
                    sizes = [(n, max(n, args.min_conversations)) for n in args.levels]
                    for index, (shoppers, conversations) in enumerate(warm_up + sizes):
                        level = loop.run_until_complete(
                            level_coroutine(
                                channel,
                                stack,
                                simulator,
                                shoppers,
                                conversations,
                                args.settle,
                                tuple(args.think) if index > 0 else (0.0, 0.0),
                            )
                        )
                        if index > 0:
                            print_level(profile, level)
                            results[channel].append(level)
            finally:
                loop.run_until_complete(simulator.stop())
    finally:
        loop.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles", nargs="+", default=["embedded", "production"],
        choices=["embedded", "production"],
    )  # fmt: skip
    parser.add_argument(
        "--channel", default="both", choices=["rest", "wechat", "both"],
    )  # fmt: skip
    parser.add_argument("--levels", nargs="+", type=int, default=[1, 10, 50, 100])
    parser.add_argument(
        "--min-conversations", type=int, default=6,
        help="conversations per level at least (default 6: one of each)",
    )  # fmt: skip
    parser.add_argument(
        "--settle", type=float, default=1.5,
        help="seconds without a new customer-service message that end a WeChat "
        "answer (default 1.5)",
    )  # fmt: skip
    parser.add_argument(
        "--think", nargs=2, type=float, default=[0.0, 0.0], metavar=("MIN", "MAX"),
        help="seconds a shopper reads and types before each next message, drawn "
        "uniformly (default 0 0: back to back, which measures capacity)",
    )  # fmt: skip
    parser.add_argument(
        "--rasa-workers", type=int, default=None,
        help="SANIC_WORKERS for both servers (default: the profile's)",
    )  # fmt: skip
    parser.add_argument(
        "--plain-rasa", action="store_true",
        help="run Rasa's own CLI, without bot.rasa_server's fix (to compare)",
    )  # fmt: skip
    parser.add_argument(
        "--out", default=None,
        help="name of the result file in benchmarks/results (default load.json)",
    )  # fmt: skip
    args = parser.parse_args()
    report: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_at_start": os.getloadavg(),
        },
        "plain_rasa": args.plain_rasa,
        "think_seconds": args.think,
        "wechat": {
            "mode": "safe",
            "window_seconds": WECHAT_WINDOW,
            # The stack gives the channel AppID and secret: the budget with the API.
            "reply_budget_seconds": float(
                os.environ.get("WECHAT_REPLY_BUDGET", DEFAULT_REPLY_BUDGET)
            ),
            "settle_seconds": args.settle,
        },
        "profiles": {},
    }
    started = time.perf_counter()
    for profile in args.profiles:
        report["profiles"][profile] = run_profile(profile, args)
    report["machine"]["load_average_at_end"] = os.getloadavg()
    report["wechat"]["passive_percent"] = overall_passive_percent(report)
    report["seconds"] = round(time.perf_counter() - started)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = args.out or ("load_plain_rasa.json" if args.plain_rasa else "load.json")
    out = RESULTS / name
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print()
    print(markdown_table(report))
    print(
        f"\nload average {report['machine']['load_average_at_start']} at start, "
        f"{report['machine']['load_average_at_end']} at end; "
        f"{report['seconds']} s in all"
    )
    if report["wechat"]["passive_percent"] is not None:
        print(
            f"WeChat turns answered passively: {report['wechat']['passive_percent']} %"
        )
    print(f"written to {out}")


if __name__ == "__main__":
    main()
