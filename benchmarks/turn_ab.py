"""A/B in one process: each turn lever against Rasa's own pieces, round after round.

Usage (from the project root, after ``make model``)::

    .venv/bin/python -m benchmarks.turn_ab                 # ~3 min
    .venv/bin/python -m benchmarks.turn_ab --rounds 10 --levers "ordered graph runner"

Before/after runs minutes apart differ by ±20 % on this machine whatever the
code (its speed varies beyond what the load average shows), so a lever worth a
few milliseconds cannot be seen that way. Here the embedded stack is started
once (``benchmarks/stack.py``: backends and action server), Rasa runs in this
process (as in ``benchmarks/profile_turn.py``), and each round plays the load
benchmark's whole conversations once per setting: Rasa's own pieces, each lever
of ``bot.rasa_server.turn_speedups`` alone, all of them. The settings' order
rotates from round to round. Printed: CPU per turn (``time.process_time``, all
threads) per setting, and per round the paired difference against Rasa's own;
written to ``benchmarks/results/turn_ab.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import uuid
from typing import Any

from benchmarks.load import CONVERSATIONS
from benchmarks.profile_turn import load_in_process
from benchmarks.stack import RESULTS, run_stack
from bot.rasa_server.launcher import install_compiled_action_validator
from bot.rasa_server.turn_speedups import LEVERS, install_lever, uninstall_levers

RASA = "Rasa's own"
ALL = "all levers"


async def play_round(agent: Any) -> list[float]:
    """Every load-benchmark conversation once, as new senders; CPU per turn."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    turns = []
    for name, texts in CONVERSATIONS.items():
        sender = f"ab-{name}-{uuid.uuid4().hex[:8]}"
        for text in texts:
            started = time.process_time()
            await agent.handle_message(
                UserMessage(
                    text, CollectingOutputChannel(), sender, input_channel="rest"
                )
            )
            turns.append(time.process_time() - started)
    return turns


def use(setting: str, levers: list[str]) -> None:
    """Install exactly the levers of ``setting``."""
    uninstall_levers()
    chosen = levers if setting == ALL else [] if setting == RASA else [setting]
    for name in chosen:
        install_lever(name)


async def compare(
    args: argparse.Namespace, env: dict[str, str], endpoints: str
) -> dict:
    # the compiled validator in every setting, as in ``rasa run``
    agent, model = await load_in_process(
        env, endpoints, args.model, install_compiled_action_validator
    )
    levers = args.levers or list(LEVERS)
    settings = [RASA, *levers] + ([ALL] if len(levers) > 1 else [])
    for setting in settings:  # warm-up: first calls build caches
        use(setting, levers)
        await play_round(agent)
    per_turn: dict[str, list[float]] = {s: [] for s in settings}
    round_means: dict[str, list[float]] = {s: [] for s in settings}
    for index in range(args.rounds):
        shift = index % len(settings)
        for setting in settings[shift:] + settings[:shift]:
            use(setting, levers)
            turns = await play_round(agent)
            per_turn[setting] += turns
            round_means[setting].append(statistics.fmean(turns))
    uninstall_levers()
    result: dict[str, Any] = {
        "model": model.name,
        "rounds": args.rounds,
        "settings": {},
    }
    print(
        f"\n{args.rounds} rounds, {len(per_turn[RASA]) // args.rounds} turns per round"
    )
    print(
        "  CPU ms/turn: median   mean   paired Δ mean vs Rasa's own (median [min, max])"
    )
    for setting in settings:
        turns = per_turn[setting]
        deltas = [
            1000 * (mine - rasa)
            for mine, rasa in zip(round_means[setting], round_means[RASA], strict=True)
        ]
        row = {
            "cpu_ms_median": round(1000 * statistics.median(turns), 2),
            "cpu_ms_mean": round(1000 * statistics.fmean(turns), 2),
            "delta_ms_median": round(statistics.median(deltas), 2),
            "delta_ms_min": round(min(deltas), 2),
            "delta_ms_max": round(max(deltas), 2),
        }
        result["settings"][setting] = row
        print(
            f"  {row['cpu_ms_median']:8.2f} {row['cpu_ms_mean']:8.2f}   "
            f"{row['delta_ms_median']:+7.2f} [{row['delta_ms_min']:+.2f}, "
            f"{row['delta_ms_max']:+.2f}]  {setting}"
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--levers", nargs="+", choices=list(LEVERS), default=None)
    parser.add_argument("--model", default=None, help="model (default: the newest)")
    args = parser.parse_args()
    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "load_average_at_start": os.getloadavg(),
    }
    with run_stack("embedded", with_rasa=False) as stack:
        report.update(asyncio.run(compare(args, stack.env, stack.endpoints)))
    report["load_average_at_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "turn_ab.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
