"""Benchmark: NLU cost of one long message, per pipeline component and length.

Usage (from the project root, after ``make model``)::

    .venv/bin/python -m benchmarks.long_message                  # ~2 min
    .venv/bin/python -m benchmarks.long_message --lengths 1000 2000 --units 我
    .venv/bin/python -m benchmarks.long_message --jieba-own      # before the fix

The newest model is loaded in this process (``Agent.load``, no tracker store or
action server needed) and ``Agent.parse_message`` parses each unit text repeated
to each length. Every graph node is timed in CPU seconds of this process,
exclusive of nodes inside it (``benchmarks.profile_turn.instrument``). Figures are
printed and written to ``benchmarks/results/long_message.json``
(``long_message_jieba_own.json`` with ``--jieba-own``, which segments with
jieba's own ``cut`` instead of ``bot.rasa_server.nlu.segmentation.cut``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
from typing import Any

from benchmarks.profile_turn import PARTS, instrument
from benchmarks.stack import RESULTS, latest_model

#: 我的快递到哪了: dictionary words (the issue's example); 我: one character the
#: dictionary knows but no longer word, so jieba's HMM decodes the whole run;
#: 坏了: a return-reason lookup entry, so RegexFeaturizer and RegexEntityExtractor
#: match it once per repetition.
DEFAULT_UNITS = ("我的快递到哪了", "我", "坏了")
DEFAULT_LENGTHS = (1000, 2000, 5000, 10000, 20000)


def repeated(unit: str, length: int) -> str:
    """``unit`` repeated and cut to exactly ``length`` characters."""
    return (unit * (length // len(unit) + 1))[:length]


def use_jiebas_own_cut() -> None:
    """Segment with jieba's own (quadratic) HMM decoder, as before the fix."""
    import bot.rasa_server.nlu.spacy_tokenizer as tokenizer

    def jieba_cut(segmenter: Any, text: str) -> Any:
        return segmenter.cut(text, HMM=True)

    tokenizer.cut = jieba_cut


async def measure(
    model: str, units: list[str], lengths: list[int], budget: float
) -> list[dict[str, Any]]:
    """Parse every unit at every length; stop a unit once a parse exceeds budget."""
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # Rasa logs each parse's whole text at debug level: megabytes here.
    configure_logging_and_warnings(logging.WARNING, warn_only_once=True)
    configure_structlog(logging.WARNING)
    agent = Agent.load(model)
    instrument(agent)
    for _ in range(3):  # warm-up: TensorFlow builds its functions
        await agent.parse_message("我的快递到哪了")
    PARTS.take()
    rows = []
    for unit in units:
        for length in lengths:
            text = repeated(unit, length)
            cpu, wall = time.process_time(), time.perf_counter()
            result = await agent.parse_message(text)
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            parts, _ = PARTS.take()
            components = {
                name.removeprefix("node "): round(seconds, 3)
                for name, seconds in sorted(parts.items(), key=lambda p: -p[1])
                if seconds >= 0.001
            }
            row = {
                "unit": unit,
                "chars": length,
                "cpu_s": round(cpu, 3),
                "wall_s": round(wall, 3),
                "intent": (result.get("intent") or {}).get("name"),
                "entities": len(result.get("entities") or []),
                "parts_cpu_s": components,
            }
            rows.append(row)
            top = ", ".join(
                f"{name} {seconds:.3f}"
                for name, seconds in list(components.items())[:4]
            )
            print(
                f"{unit[:4]:<5} {length:>7} chars  CPU {cpu:7.3f} s  "
                f"wall {wall:7.3f} s  | {top}",
                flush=True,
            )
            if cpu > budget:
                print(f"  (over {budget} s: longer {unit!r} skipped)")
                break
    return rows


def main() -> None:
    """Run the benchmark and write its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", nargs="+", type=int, default=DEFAULT_LENGTHS)
    parser.add_argument("--units", nargs="+", default=DEFAULT_UNITS)
    parser.add_argument(
        "--budget", type=float, default=60.0, help="CPU seconds per parse, at most"
    )
    parser.add_argument("--model", default=None, help="model (default: the newest)")
    parser.add_argument(
        "--jieba-own", action="store_true", help="jieba's own cut (before the fix)"
    )
    args = parser.parse_args()
    if args.jieba_own:
        use_jiebas_own_cut()
    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
        "segmentation": "jieba's own cut"
        if args.jieba_own
        else "bot.rasa_server.nlu.segmentation",
    }
    model = args.model or str(latest_model())
    report["model"] = os.path.basename(model)
    report["rows"] = asyncio.run(
        measure(model, list(args.units), args.lengths, args.budget)
    )
    report["load_average_at_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = "long_message_jieba_own.json" if args.jieba_own else "long_message.json"
    out = RESULTS / name
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
