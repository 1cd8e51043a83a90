"""FAQ and small-talk answers: is the chosen answer's key the right one?

Usage (from the project root, after ``make model``)::

    .venv/bin/python -m benchmarks.faq_probe [--model models/…tar.gz]

``benchmarks/faq_probe.tsv`` holds 36 sentences written for this check (two per
FAQ key, one or two per small-talk key; none from an evaluation file), each with
the ``faq/…`` or ``chitchat/…`` key whose answer it should get. The model parses
each one in process; a sentence counts as right when the intent is the key's
retrieval intent and the selector chose the key. Prints the count and the
misses (with what was chosen instead) and writes
``benchmarks/results/faq_probe.json``. A measurement, not a test: the misses
show where DIET's intent or the selector's choice goes astray.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from benchmarks.stack import latest_model

ROOT = Path(__file__).resolve().parents[1]
PROBE = ROOT / "benchmarks" / "faq_probe.tsv"
RESULTS = ROOT / "benchmarks" / "results" / "faq_probe.json"


def read_probe(path: Path = PROBE) -> list[tuple[str, str]]:
    """The probe's ``(sentence, expected key)`` rows."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            text, key = line.split("\t")
            rows.append((text, key))
    return rows


def chosen_key(parse: dict[str, Any]) -> str:
    """The answer key a parse leads to: ``faq/…``, ``chitchat/…`` or the intent."""
    intent = parse["intent"]
    return str(intent.get("full_retrieval_intent_name") or intent["name"])


async def run(model: Path) -> dict[str, Any]:
    """Parse every probe sentence with ``model`` and count the right keys."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    misses = []
    rows = read_probe()
    for text, key in rows:
        got = chosen_key(await agent.parse_message(text))
        if got != key:
            misses.append({"text": text, "expected": key, "chosen": got})
    return {
        "model": model.name,
        "right": len(rows) - len(misses),
        "of": len(rows),
        "misses": misses,
    }


def main() -> None:
    """Parse the arguments, run the probe, print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", type=Path, help="model archive (default: newest in models/)"
    )
    args = parser.parse_args()
    model = args.model or latest_model()
    figures = asyncio.run(run(model))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, ensure_ascii=False, indent=2))
    print(f"{figures['right']}/{figures['of']} right ({figures['model']})")
    for miss in figures["misses"]:
        print(f"  {miss['text']}: expected {miss['expected']}, chose {miss['chosen']}")


if __name__ == "__main__":
    main()
