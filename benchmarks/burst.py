"""Messages sent in a row: how long each waits for the one before it.

Usage (from the project root, after ``make model``)::

    .venv/bin/python -m benchmarks.burst                       # both profiles, ~1 min
    .venv/bin/python -m benchmarks.burst --profiles embedded --shoppers 20

Shoppers often write two or three short messages in a row (你好 / a question /
another question) instead of one. Rasa handles one message of a conversation at
a time, so each waits for the one before it. This starts the whole assistant per
profile (``benchmarks/stack.py``) and lets each shopper send ``MESSAGES`` over
REST ``--gap`` seconds apart without waiting for answers, ``--shoppers`` of them
one after the other. It prints, per message of the row, the median and slowest
time from sending it to its answer, and writes ``benchmarks/results/burst.json``.

The first message's time is one turn; the later ones add the wait for the turns
before them: a turn or two, plus whatever the lock store loses in waking them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from pathlib import Path

import aiohttp

from benchmarks.stack import run_stack

RESULTS = Path(__file__).resolve().parent / "results"
#: What a shopper sends in a row: a greeting, then two small-talk questions.
MESSAGES = ["你好", "包邮吗", "能开发票吗"]


async def send(
    session: aiohttp.ClientSession, url: str, sender: str, text: str, delay: float
) -> float:
    """Send ``text`` after ``delay`` seconds; seconds until its answer arrived."""
    await asyncio.sleep(delay)
    started = time.perf_counter()
    async with session.post(url, json={"sender": sender, "message": text}) as reply:
        body = await reply.json(content_type=None)
    if reply.status != 200 or not body:
        raise RuntimeError(f"{text!r}: HTTP {reply.status}, answer {body!r}")
    return time.perf_counter() - started


async def run_rows(
    rasa_url: str, headers: dict[str, str], shoppers: int, gap: float
) -> list[list[float]]:
    """Each shopper's row of messages; per message position, the seconds taken."""
    url = f"{rasa_url}/webhooks/rest/webhook"
    timings: list[list[float]] = [[] for _ in MESSAGES]
    async with aiohttp.ClientSession(headers=headers) as session:
        await send(session, url, f"burst-warm-{uuid.uuid4().hex[:8]}", MESSAGES[0], 0)
        for _ in range(shoppers):
            sender = f"burst-{uuid.uuid4().hex[:10]}"
            seconds = await asyncio.gather(
                *(
                    send(session, url, sender, text, index * gap)
                    for index, text in enumerate(MESSAGES)
                )
            )
            for index, value in enumerate(seconds):
                timings[index].append(value)
    return timings


def main() -> None:
    """Run the rows per profile, print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--profiles", nargs="+", default=["embedded", "production"],
        choices=["embedded", "production"],
    )  # fmt: skip
    parser.add_argument("--shoppers", type=int, default=20)
    parser.add_argument(
        "--gap", type=float, default=0.01, help="seconds between a row's messages"
    )
    parser.add_argument("--out", default="burst.json")
    args = parser.parse_args()
    report: dict = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), "gap": args.gap}
    for profile in args.profiles:
        with run_stack(profile) as stack:
            timings = asyncio.run(
                run_rows(stack.rasa_url, stack.rest_headers, args.shoppers, args.gap)
            )
        rows = []
        for index, values in enumerate(timings):
            row = {
                "message": index + 1,
                "text": MESSAGES[index],
                "median_ms": round(1000 * statistics.median(values)),
                "max_ms": round(1000 * max(values)),
            }
            rows.append(row)
            print(
                f"{profile:10} message {row['message']} ({row['text']}): "
                f"median {row['median_ms']} ms, slowest {row['max_ms']} ms",
                flush=True,
            )
        report[profile] = rows
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(f"written to {RESULTS / args.out}")


if __name__ == "__main__":
    main()
