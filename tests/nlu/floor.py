"""Fail when the NLU regression set scores under its floors.

Usage (after ``rasa test nlu --successes --out results/nlu-regression``)::

    python -m tests.nlu.floor results/nlu-regression tests/nlu/floors.yml

Reads Rasa's ``intent_successes.json`` and ``intent_errors.json`` (and, for
retrieval intents, ``response_selection_*.json``), maps every gold and
predicted intent to the coarse classes of ``../shared/eval/README.md``, prints
per-class precision/recall/F1 and the misses, and exits 1 when accuracy,
macro-F1 or a class's recall is under the floor in the YAML file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

from benchmarks.nlu_classes import coarse, figures, macro_f1


def _load(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return list(json.loads(path.read_text(encoding="utf-8")))


def predictions(results: Path) -> list[tuple[str, str, str, str]]:
    """(text, gold intent, predicted intent, predicted full name) per test item.

    A retrieval intent's prediction is made full (``faq/invoice``) from the
    response-selection results, as the evaluation's scorer does.
    """
    keys = {
        item["text"]: item["intent_response_key_prediction"]["name"]
        for name in (
            "response_selection_successes.json",
            "response_selection_errors.json",
        )
        for item in _load(results / name)
        if item.get("intent_response_key_prediction", {}).get("name")
    }
    items = []
    for name in ("intent_successes.json", "intent_errors.json"):
        for item in _load(results / name):
            predicted = str(item["intent_prediction"]["name"] or "")
            key = str(keys.get(item["text"], ""))
            full = key if key.startswith(predicted + "/") else predicted
            items.append((item["text"], str(item["intent"]), predicted, full))
    return items


def check(results: Path, floors: dict[str, Any]) -> list[str]:
    """Score the results, print them, and list what is under a floor.

    Args:
        results: The ``rasa test nlu`` output directory.
        floors: ``accuracy``, ``macro_f1`` and ``recall`` (class → floor).

    Returns:
        One line per figure under its floor (empty when all pass).
    """
    items = predictions(results)
    if not items:
        return [f"no predictions in {results}: did rasa test nlu run?"]
    pairs = [(coarse(gold), coarse(full)) for _, gold, _, full in items]
    rows = figures(pairs)
    accuracy = sum(gold == predicted for gold, predicted in pairs) / len(pairs)
    macro = macro_f1(rows)
    for (text, gold, _, full), (gold_class, predicted_class) in zip(
        items, pairs, strict=True
    ):
        if gold_class != predicted_class:
            miss = f"gold={gold_class} ({gold}) pred={predicted_class} ({full})"
            print(f"MISS {miss}\t{text}")
    print(f"{'class':10} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>4}")
    for row in rows:
        print(
            f"{row.label:10} {row.precision:6.3f} {row.recall:6.3f} {row.f1:6.3f} "
            f"{row.support:4d}"
        )
    print(f"macro_f1={macro:.4f} accuracy={accuracy:.4f} n={len(pairs)}")
    failures = []
    if accuracy < float(floors.get("accuracy", 0)):
        failures.append(f"accuracy {accuracy:.3f} < floor {floors['accuracy']}")
    if macro < float(floors.get("macro_f1", 0)):
        failures.append(f"macro-F1 {macro:.3f} < floor {floors['macro_f1']}")
    recall = {row.label: row.recall for row in rows}
    for label, floor in (floors.get("recall") or {}).items():
        if recall.get(label, 0.0) < float(floor):
            failures.append(
                f"{label} recall {recall.get(label, 0.0):.3f} < floor {floor}"
            )
    return failures


def main(argv: list[str] | None = None) -> int:
    """Check the results against the floors; exit status 1 when under."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path)
    parser.add_argument("floors", type=Path)
    args = parser.parse_args(argv)
    floors = yaml.safe_load(args.floors.read_text(encoding="utf-8")) or {}
    failures = check(args.results, floors)
    for failure in failures:
        print(f"UNDER THE FLOOR: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
