"""Tracker save on SQLite: Rasa's ``SQLTrackerStore.save`` against the embedded store's.

Usage (from the project root)::

    .venv/bin/python -m benchmarks.tracker_save        # ~30 s

Five conversations of 60 turns (a user message, an action, a slot, a bot
message, ``action_listen``) are saved turn by turn into two fresh SQLite files:
one through Rasa's own ``save`` on Rasa's engine (a connection per session,
rollback journal, ``synchronous=FULL``, one ORM object per event), one through
``WindowedSQLTrackerStore`` (pooled connections, WAL, ``synchronous=NORMAL``,
one insert). Rounds alternate. Printed: median CPU and wall milliseconds per
save; written to ``benchmarks/results/tracker_save.json``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from typing import Any

from benchmarks.stack import RESULTS, ROOT


def turn_events(index: int) -> list[Any]:
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

    intent = {"name": "track_delivery", "confidence": 0.93}
    text = f"我的快递到哪了 {index}"
    return [
        UserUttered(text, intent=intent, parse_data={"intent": intent, "text": text}),
        ActionExecuted("action_track_delivery"),
        SlotSet("order_id", "XK202411110001"),
        BotUttered("您的包裹正在派送中", {"elements": None}),
        ActionExecuted("action_listen"),
    ]


async def saves(
    store: Any, save: Any, prefix: str, domain: Any
) -> list[tuple[float, float]]:
    from rasa.shared.core.trackers import DialogueStateTracker

    timings = []
    for conversation in range(5):
        tracker = DialogueStateTracker(f"{prefix}-{conversation}", domain.slots)
        for index in range(60):
            for event in turn_events(index):
                tracker.update(event)
            cpu, wall = time.process_time(), time.perf_counter()
            await save(store, tracker)
            timings.append((time.process_time() - cpu, time.perf_counter() - wall))
    return timings


async def compare(rounds: int) -> dict[str, Any]:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    from bot.rasa_server.tracker_window import WindowedSQLTrackerStore

    domain = Domain.load(str(ROOT / "domain.yml"))
    work = tempfile.mkdtemp(prefix="xiaoke-save-")
    stores = {
        "Rasa's SQLTrackerStore.save": (
            SQLTrackerStore(domain=domain, dialect="sqlite", db=f"{work}/rasa.db"),
            SQLTrackerStore.save,
        ),
        "WindowedSQLTrackerStore.save": (
            WindowedSQLTrackerStore(
                domain=domain, dialect="sqlite", db=f"{work}/ours.db"
            ),
            WindowedSQLTrackerStore.save,
        ),
    }
    timings: dict[str, list[tuple[float, float]]] = {name: [] for name in stores}
    for round_ in range(rounds):
        for name, (store, save) in stores.items():
            timings[name] += await saves(store, save, f"r{round_}", domain)
    result = {}
    for name, rows in timings.items():
        result[name] = {
            "saves": len(rows),
            "cpu_ms_median": round(1000 * statistics.median(c for c, _ in rows), 2),
            "wall_ms_median": round(1000 * statistics.median(w for _, w in rows), 2),
        }
        print(f"{name}: {result[name]}")
    return result


def main() -> None:
    report = {"started": time.strftime("%Y-%m-%d %H:%M:%S"), **asyncio.run(compare(3))}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "tracker_save.json").write_text(
        json.dumps(report, indent=2, ensure_ascii=False)
    )


if __name__ == "__main__":
    main()
