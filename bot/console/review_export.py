"""Write the trainers' verdicts as Rasa NLU data: ``make review-export``.

``python -m bot.console.review_export`` reads the console's review labels and
writes every message given an intent (noise left out) to
``data/nlu/reviewed/reviewed.yml`` in Rasa's format, grouped by intent. The
text was masked when the verdict was stored (``bot.platform.masking``); it is
masked again here in case the rules grew since. ``make review-export`` then
runs the evaluation-overlap check, so no evaluation text slips into training.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import defaultdict
from pathlib import Path

from bot.console.config import DEFAULT_DATABASE_URL
from bot.console.migrate import migrate
from bot.console.models import NOISE
from bot.console.review_repository import ReviewLabel, ReviewRepository
from bot.platform.db import create_async_engine
from bot.platform.masking import mask_text

BRACKETS = str.maketrans("[](){}", "［］（）｛｝")
DEFAULT_OUT = Path("data/nlu/reviewed/reviewed.yml")
HEADER = (
    'version: "3.1"\n'
    "# Written by `make review-export` from the console's 待标注 page (trainers'\n"
    "# verdicts on shoppers' messages, personal data masked). Do not edit by\n"
    "# hand: correct a verdict on the page and export again.\n"
)


def _example(text: str) -> str | None:
    """One line of an ``examples`` block, or ``None`` for unusable text.

    Brackets become full-width (the normaliser folds them back at run time),
    so ``[x](y)`` in a message is never read as an entity annotation.
    """
    line = " ".join(mask_text(text).split())
    return line.translate(BRACKETS) or None


def render(labels: list[ReviewLabel]) -> tuple[str, int]:
    """The YAML of the labels that name an intent, and how many examples it has.

    Duplicates (the same masked text under one intent) are written once; the
    same text under two intents keeps the newest verdict only.
    """
    newest: dict[str, ReviewLabel] = {}
    for label in sorted(labels, key=lambda item: item.reviewed_at):
        line = _example(label.text)
        if line is not None and label.label != NOISE:
            newest[line] = label
        elif line is not None:
            newest.pop(line, None)
    by_intent: dict[str, list[str]] = defaultdict(list)
    for line, label in newest.items():
        by_intent[label.label].append(line)
    parts = [HEADER, "nlu:\n"] if by_intent else [HEADER, "nlu: []\n"]
    for intent in sorted(by_intent):
        parts.append(f"- intent: {intent}\n  examples: |\n")
        parts.extend(f"    - {line}\n" for line in sorted(by_intent[intent]))
    return "".join(parts), len(newest)


async def read_labels(database_url: str) -> list[ReviewLabel]:
    """Every verdict in the console's database."""
    engine = create_async_engine(database_url)
    try:
        await migrate(engine)
        return await ReviewRepository(engine).labels()
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    """Run the command line."""
    parser = argparse.ArgumentParser(prog="python -m bot.console.review_export")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CONSOLE_DATABASE_URL") or DEFAULT_DATABASE_URL,
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    text, count = render(asyncio.run(read_labels(args.database_url)))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"{count} reviewed examples written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
