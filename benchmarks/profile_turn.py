"""Profile: where a Rasa turn's CPU goes, by part (NLU component, policy, tracker, …).

Usage (from the project root, after ``make model``)::

    .venv/bin/python -m benchmarks.profile_turn                    # ~1.5 min
    .venv/bin/python -m benchmarks.profile_turn --rounds 5 --sizes 37 500
    .venv/bin/python -m benchmarks.profile_turn --fixed            # with the fix
    .venv/bin/python -m benchmarks.profile_turn --server [--fixed] # py-spy

It starts the backends and the action server (``benchmarks/stack.py``, embedded
profile) and runs Rasa *in this process*, loaded the way ``rasa run`` loads it
(``load_agent`` with ``endpoints.yml``: SQLite tracker store, the action server),
then hands it the load benchmark's whole conversations through
``Agent.handle_message``, one turn after the other. Sanic and the REST channel are
left out (profile them with py-spy on a ``rasa run`` under ``benchmarks.load``).

Each part is timed in CPU seconds of this process (``time.process_time``: user +
system of every thread, so TensorFlow's pool counts), exclusive of the parts inside
it: a graph node (every NLU component and policy), loading the tracker (SQL query,
JSON, event replay), saving it, the action call on Rasa's side (tracker and domain
to JSON, HTTP, validating the answer), and the rest of Rasa's turn handling. It
then does the same for FAQ and action turns in conversations that already hold
``--sizes`` events.
Figures are printed and written to ``benchmarks/results/profile_turn.json``.
``--fixed`` applies ``install_turn_speedups`` first (``_fixed`` files), as ``rasa run``
through the launcher does.

``--server`` instead starts the whole stack with ``rasa run`` (one Sanic worker),
records the Rasa server with py-spy (``--py-spy``, installed outside the project
venv) while the load benchmark's shoppers talk to it, and sorts the samples into
the same parts plus Sanic and the REST channel: ``rasa_server.speedscope.json``
(open it on https://www.speedscope.app) and ``profile_server.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks.growth import filler_events
from benchmarks.load import CONVERSATIONS, run_level
from benchmarks.stack import RESULTS, ROOT, latest_model, run_stack
from bot.rasa_server.launcher import install_turn_speedups

DEV_SET = ROOT.parent / "shared" / "eval" / "dev.tsv"
FAQ_TEXT = "包邮吗"
ACTION_TEXT = "我有多少积分"
VERIFY = ("我有多少积分", "13800138000", "XK202411110001")


class Parts:
    """CPU and wall seconds by part, exclusive of the parts timed inside it."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.wall: dict[str, float] = defaultdict(float)
        self._inner: list[tuple[float, float]] = []

    @contextlib.contextmanager
    def part(self, name: str) -> Iterator[None]:
        """Time the block as ``name``; parts opened inside it are subtracted."""
        cpu, wall = time.process_time(), time.perf_counter()
        self._inner.append((0.0, 0.0))
        try:
            yield
        finally:
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            inner_cpu, inner_wall = self._inner.pop()
            self.seconds[name] += cpu - inner_cpu
            self.wall[name] += wall - inner_wall
            if self._inner:
                outer_cpu, outer_wall = self._inner[-1]
                self._inner[-1] = (outer_cpu + cpu, outer_wall + wall)

    def take(self) -> tuple[dict[str, float], dict[str, float]]:
        """Return CPU and wall figures since the last call and start again."""
        taken = dict(self.seconds), dict(self.wall)
        self.seconds.clear()
        self.wall.clear()
        return taken


PARTS = Parts()


def _node_label(node_name: str) -> str:
    """``run_bot.nlu.normalizer.ChineseTextNormalizer0`` → ``ChineseTextNormalizer``."""
    name = node_name.removeprefix("run_").rstrip("0123456789")
    return name.rsplit(".", 1)[-1]


def instrument(agent: Any) -> None:
    """Wrap graph nodes, the tracker store and remote actions with ``PARTS``."""
    from rasa.core.actions.action import RemoteAction
    from rasa.engine.graph import GraphNode
    from rasa.shared.core.trackers import DialogueStateTracker

    node_call = GraphNode.__call__

    def timed_node(self: GraphNode, *inputs: Any) -> Any:
        label = _node_label(self._node_name)
        if self._node_name.startswith("run_ResponseSelector"):
            label = f"ResponseSelector ({self._node_name[-1]})"
        with PARTS.part(f"node {label}"):
            return node_call(self, *inputs)

    GraphNode.__call__ = timed_node

    def wrap_async(owner: Any, attribute: str, label: str) -> None:
        original: Callable[..., Awaitable[Any]] = getattr(owner, attribute)

        async def timed(*args: Any, **kwargs: Any) -> Any:
            with PARTS.part(label):
                return await original(*args, **kwargs)

        setattr(owner, attribute, timed)

    def wrap_sync(owner: Any, attribute: str, label: str) -> None:
        original: Callable[..., Any] = getattr(owner, attribute)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with PARTS.part(label):
                return original(*args, **kwargs)

        setattr(owner, attribute, timed)

    store = agent.tracker_store
    wrap_async(store, "retrieve", "tracker load: SQL + JSON")
    wrap_async(store, "save", "tracker save: SQL count + insert")
    wrap_sync(DialogueStateTracker, "from_dict", "tracker load: event replay")
    wrap_async(RemoteAction, "run", "action call: HTTP, validation, events")
    wrap_sync(RemoteAction, "_action_call_format", "action call: tracker+domain → dict")


async def handle(agent: Any, sender: str, text: str) -> tuple[float, float]:
    """Handle one message; return its CPU and wall seconds."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    cpu, wall = time.process_time(), time.perf_counter()
    with PARTS.part("Rasa turn handling (rest)"):
        await agent.handle_message(
            UserMessage(text, CollectingOutputChannel(), sender, input_channel="rest")
        )
    return time.process_time() - cpu, time.perf_counter() - wall


def summarise(
    turns: list[tuple[float, float]],
    parts_and_wall: tuple[dict[str, float], dict[str, float]],
) -> dict:
    """Per-turn medians and the per-turn mean of every part (CPU and wall)."""
    parts, wall = parts_and_wall
    count = len(turns)
    total = sum(parts.values())
    return {
        "turns": count,
        "cpu_ms_median": round(1000 * statistics.median(c for c, _ in turns), 1),
        "cpu_ms_mean": round(1000 * total / count, 1),
        "wall_ms_median": round(1000 * statistics.median(w for _, w in turns), 1),
        "parts_ms_per_turn": {
            name: round(1000 * seconds / count, 2)
            for name, seconds in sorted(parts.items(), key=lambda item: -item[1])
        },
        "parts_percent": {
            name: round(100 * seconds / total, 1)
            for name, seconds in sorted(parts.items(), key=lambda item: -item[1])
        },
        "parts_wall_ms_per_turn": {
            name: round(1000 * wall[name] / count, 2) for name in parts
        },
    }


def print_summary(title: str, summary: dict) -> None:
    print(
        f"\n{title}: {summary['turns']} turns, CPU median "
        f"{summary['cpu_ms_median']} ms (mean {summary['cpu_ms_mean']} ms), "
        f"wall median {summary['wall_ms_median']} ms"
    )
    print("   CPU ms      %   wall ms  part")
    for name, ms in summary["parts_ms_per_turn"].items():
        print(
            f"  {ms:7.2f}  {summary['parts_percent'][name]:5.1f}  "
            f"{summary['parts_wall_ms_per_turn'][name]:8.2f}  {name}"
        )


async def conversations(agent: Any, rounds: int) -> dict:
    """Every load-benchmark conversation ``rounds`` times, as new senders."""
    for name in CONVERSATIONS:  # warm-up: first calls build caches
        for text in CONVERSATIONS[name]:
            await handle(agent, f"warm-{name}-{uuid.uuid4().hex[:6]}", text)
    PARTS.take()
    turns = []
    for _ in range(rounds):
        for name, texts in CONVERSATIONS.items():
            sender = f"profile-{name}-{uuid.uuid4().hex[:8]}"
            for text in texts:
                turns.append(await handle(agent, sender, text))
    return summarise(turns, PARTS.take())


async def nlu_only(agent: Any, texts: list[str]) -> dict:
    """Parse every dev-set message (NLU alone, no tracker)."""
    for text in texts[:10]:
        await agent.parse_message(text)
    PARTS.take()
    turns = []
    for text in texts:
        cpu, wall = time.process_time(), time.perf_counter()
        with PARTS.part("parse_message (rest)"):
            await agent.parse_message(text)
        turns.append((time.process_time() - cpu, time.perf_counter() - wall))
    return summarise(turns, PARTS.take())


async def grown(agent: Any, size: int, samples: int) -> dict:
    """FAQ and action turns in a conversation that already holds ``size`` events."""
    from rasa.shared.core.events import Event

    sender = f"grown-{size}-{uuid.uuid4().hex[:8]}"
    for text in VERIFY:
        await handle(agent, sender, text)
    tracker = await agent.tracker_store.retrieve(sender)
    missing = size - len(tracker.events)
    if missing > 0:
        for event in filler_events(missing):
            tracker.update(Event.from_parameters(event), agent.domain)
        await agent.tracker_store.save(tracker)
    events = len((await agent.tracker_store.retrieve(sender)).events)
    PARTS.take()
    result: dict[str, Any] = {"events_before": events}
    for kind, text in (("faq", FAQ_TEXT), ("action", ACTION_TEXT)):
        turns = [await handle(agent, sender, text) for _ in range(samples)]
        result[kind] = summarise(turns, PARTS.take())
    return result


def dev_texts() -> list[str]:
    if not DEV_SET.exists():
        return [text for texts in CONVERSATIONS.values() for text in texts]
    lines = DEV_SET.read_text("utf-8").splitlines()[1:]
    return [line.split("\t")[3] for line in lines if line.count("\t") >= 4]


async def load_in_process(
    env: dict[str, str],
    endpoints: str,
    model_path: str | None,
    before_load: Callable[[], None] | None = None,
) -> tuple[Any, Path]:
    """Load the agent in this process as ``rasa run`` loads it (INFO logging).

    Args:
        env: The stack's environment (set in ``os.environ`` first).
        endpoints: The stack's endpoints file.
        model_path: The model (default: the newest).
        before_load: Patches to install before loading (the processor picks
            its graph runner at load).

    Returns:
        The agent and the model's path.
    """
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    os.environ.update(env)
    # What ``rasa run`` does at its default log level (INFO).
    configure_logging_and_warnings(logging.INFO, warn_only_once=True)
    configure_structlog(logging.INFO)
    model = Path(model_path) if model_path else latest_model()
    if before_load is not None:
        before_load()
    agent = await load_agent(
        model_path=str(model), endpoints=AvailableEndpoints.read_endpoints(endpoints)
    )
    return agent, model


async def profile(
    args: argparse.Namespace, env: dict[str, str], endpoints: str
) -> dict:
    started = time.perf_counter()
    agent, model = await load_in_process(
        env,
        endpoints,
        args.model,
        (lambda: install_turn_speedups(os.environ)) if args.fixed else None,
    )
    print(f"model {model.name} loaded in {time.perf_counter() - started:.1f} s")
    instrument(agent)
    report: dict = {"model": model.name, "compiled_action_validator": args.fixed}
    report["nlu_only"] = await nlu_only(agent, dev_texts())
    print_summary("NLU alone (parse_message, dev set)", report["nlu_only"])
    report["conversations"] = await conversations(agent, args.rounds)
    print_summary("Whole conversations (load benchmark's)", report["conversations"])
    report["growth"] = {}
    for size in args.sizes:
        row = await grown(agent, size, args.samples)
        report["growth"][size] = row
        for kind in ("faq", "action"):
            print_summary(f"{kind} turn after {row['events_before']} events", row[kind])
    return report


# py-spy sample → part: the first rule whose (file, function) pair matches any
# frame of the sample's stack wins, so the specific rules come first.
SERVER_PARTS: list[tuple[str, str, str]] = [
    ("action call: response validation (jsonschema)", "", "_validate_action_result"),
    ("action call: HTTP client + JSON", "rasa/core/actions/action.py", "run"),
    ("tracker load: event replay", "rasa/shared/core/trackers.py", "from_dict"),
    ("tracker load: SQL + JSON", "rasa/core/tracker_store.py", "_retrieve"),
    ("tracker save: SQL count + insert", "rasa/core/tracker_store.py", "save"),
    ("ResponseSelector ×2", "response_selector.py", ""),
    ("DIETClassifier", "diet_classifier.py", ""),
    ("RulePolicy", "rule_policy.py", ""),
    ("MemoizationPolicy", "memoization.py", ""),
    ("TEDPolicy", "ted_policy.py", ""),
    ("our NLU code (bot/rasa_server/nlu)", "bot/rasa_server/nlu/", ""),
    ("spaCy + jieba", "spacy/", ""),
    ("featurizers", "nlu/featurizers/", ""),
    ("other NLU and policy graph nodes", "rasa/engine/", ""),
    ("response templating (NLG)", "rasa/core/nlg/", ""),
    ("REST channel + Sanic + JSON", "sanic/", ""),
    ("REST channel + Sanic + JSON", "rasa/core/channels/", ""),
]


def classify_speedscope(path: Path) -> dict[str, float]:
    """Sort py-spy's samples into ``SERVER_PARTS``; return seconds by part."""
    data = json.loads(path.read_text())
    frames = data["shared"]["frames"]
    seconds: dict[str, float] = defaultdict(float)
    for profile in data["profiles"]:
        for sample, weight in zip(profile["samples"], profile["weights"], strict=True):
            stack = [(frames[i].get("file", ""), frames[i]["name"]) for i in sample]
            label = "other Rasa turn handling (processor, events, logging)"
            for part, file_part, function in SERVER_PARTS:
                if any(
                    file_part in file and (not function or name == function)
                    for file, name in stack
                ):
                    label = part
                    break
            seconds[label] += weight
    return dict(seconds)


def profile_server(args: argparse.Namespace) -> dict:
    """Record ``rasa run`` with py-spy under the load benchmark's shoppers."""
    out = RESULTS / f"rasa_server{'_fixed' if args.fixed else ''}.speedscope.json"
    # run_stack starts bot.rasa_server (with the fix); Rasa's own CLI without.
    plain = [str(Path(sys.executable).parent / "rasa")]
    rasa_command = None if args.fixed else plain
    with run_stack("embedded", rasa_workers=1, rasa_command=rasa_command) as stack:
        asyncio.run(run_level(stack, 1, len(CONVERSATIONS)))  # warm-up
        pid = stack.processes["rasa"].pid
        spy = subprocess.Popen(
            [args.py_spy, "record", "--rate", "200", "--format", "speedscope",
             "--pid", str(pid), "-o", str(out)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(2)
        level = asyncio.run(run_level(stack, args.shoppers, args.shoppers * 3))
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=120)
    rasa = level["processes"]["rasa"]
    cpu_ms = 10 * rasa["cpu_percent"] * level["seconds"] / level["turns"]
    parts = classify_speedscope(out)
    total = sum(parts.values())
    print(
        f"rasa run, {args.shoppers} shoppers: {level['turns']} turns, "
        f"{level['turns_per_second']} turns/s, p50 {level['p50_ms']} ms, "
        f"Rasa CPU {rasa['cpu_percent']} % = {cpu_ms:.1f} ms per turn"
    )
    by_part = {
        name: {
            "percent": round(100 * sec / total, 1),
            "ms_per_turn": round(cpu_ms * sec / total, 2),
        }
        for name, sec in sorted(parts.items(), key=lambda item: -item[1])
    }
    for name, row in by_part.items():
        print(f"  {row['ms_per_turn']:8.2f} ms  {row['percent']:5.1f} %  {name}")
    return {
        "compiled_action_validator": args.fixed,
        "level": level,
        "rasa_cpu_ms_per_turn": round(cpu_ms, 1),
        "parts": by_part,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--server", action="store_true", help="py-spy on `rasa run` under load"
    )
    parser.add_argument("--shoppers", type=int, default=10, help="with --server")
    parser.add_argument("--py-spy", default="/tmp/pyspy/bin/py-spy", help="its path")
    parser.add_argument(
        "--fixed", action="store_true",
        help="with install_turn_speedups (in --server: rasa run with them)",
    )  # fmt: skip
    parser.add_argument("--rounds", type=int, default=3, help="passes over the flows")
    parser.add_argument("--sizes", nargs="+", type=int, default=[37, 100, 500])
    parser.add_argument("--samples", type=int, default=15, help="turns per size")
    parser.add_argument("--model", default=None, help="model (default: the newest)")
    args = parser.parse_args()
    report: dict = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "cpus": os.cpu_count(),
        "load_average_at_start": os.getloadavg(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    if args.server:
        report.update(profile_server(args))
        out = RESULTS / f"profile_server{'_fixed' if args.fixed else ''}.json"
    else:
        with run_stack("embedded", with_rasa=False) as stack:
            report.update(asyncio.run(profile(args, stack.env, stack.endpoints)))
        out = RESULTS / f"profile_turn{'_fixed' if args.fixed else ''}.json"
    report["load_average_at_end"] = os.getloadavg()
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
