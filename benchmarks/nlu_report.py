"""Turn the NLU scorer's output into a confusion matrix picture and an error list.

Usage (``make eval-nlu`` runs it after ``../shared/tools/nlu_eval.py``)::

    .venv/bin/python -m benchmarks.nlu_report benchmarks/results/nlu_dev.txt

The scorer (``nlu_eval.py --show-errors``) prints one ``MISS`` line per
misclassified message and a per-class table (precision, recall, F1, n). From
them this writes, next to the input:

- ``<name>_confusion.png``: gold class (rows) × predicted class (columns);
- ``<name>_errors.tsv``: id, gold, predicted class, predicted intent, text;

and prints the per-class table and the commonest confusions.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from benchmarks.nlu_classes import CLASSES

_MISS = re.compile(r"^MISS (\S+)\tgold=(\w+)\tpred=(\w+) \((.*?)\)\t(.*)$")
_ROW = re.compile(r"^(\w+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)$")
_SUMMARY = re.compile(r"^macro_f1=([\d.]+) accuracy=([\d.]+) n=(\d+)$")


@dataclass(frozen=True)
class Miss:
    """One misclassified message."""

    item: str
    gold: str
    predicted: str
    intent: str
    text: str


@dataclass
class Scored:
    """What the scorer printed.

    Attributes:
        misses: The misclassified messages.
        rows: Class → (precision, recall, F1, n).
        summary: ``macro_f1=… accuracy=… n=…`` as printed.
    """

    misses: list[Miss]
    rows: dict[str, tuple[float, float, float, int]]
    summary: str


def parse(text: str) -> Scored:
    """Parse the scorer's output."""
    misses: list[Miss] = []
    rows: dict[str, tuple[float, float, float, int]] = {}
    summary = ""
    for line in text.splitlines():
        line = line.replace("\x1b[0m", "")
        if match := _MISS.match(line):
            misses.append(Miss(*match.groups()))
        elif (match := _ROW.match(line)) and match.group(1) in CLASSES:
            label, precision, recall, f1, n = match.groups()
            rows[label] = (float(precision), float(recall), float(f1), int(n))
        elif _SUMMARY.match(line):
            summary = line
    return Scored(misses, rows, summary)


def confusion(scored: Scored) -> list[list[int]]:
    """Gold × predicted counts: the diagonal from recall × n, the rest from misses."""
    index = {label: i for i, label in enumerate(CLASSES)}
    matrix = [[0] * len(CLASSES) for _ in CLASSES]
    for label, (_, recall, _, n) in scored.rows.items():
        matrix[index[label]][index[label]] = round(recall * n)
    for miss in scored.misses:
        matrix[index[miss.gold]][index[miss.predicted]] += 1
    return matrix


def plot(matrix: list[list[int]], title: str, out: Path) -> None:
    """Draw the confusion matrix as a PNG (matplotlib, no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = len(CLASSES)
    totals = [sum(row) or 1 for row in matrix]
    shares = [[value / totals[i] for value in row] for i, row in enumerate(matrix)]
    fig, ax = plt.subplots(figsize=(8.5, 7.5))
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    ax.set_xticks(range(size), labels=CLASSES, rotation=45, ha="right")
    ax.set_yticks(range(size), labels=CLASSES)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("gold class")
    ax.set_title(title)
    for i in range(size):
        for j in range(size):
            if matrix[i][j]:
                ax.text(
                    j,
                    i,
                    str(matrix[i][j]),
                    ha="center",
                    va="center",
                    color="white" if shares[i][j] > 0.5 else "black",
                    fontsize=9,
                )
    fig.colorbar(image, ax=ax, label="share of the gold class")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    """Write the picture and the error list; print the table and top confusions."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scored", type=Path, help="the scorer's saved output")
    parser.add_argument("--out", type=Path, help="directory (default: the input's)")
    args = parser.parse_args(argv)
    scored = parse(args.scored.read_text(encoding="utf-8"))
    if not scored.rows:
        raise SystemExit(f"no per-class table in {args.scored}")
    out = args.out or args.scored.parent
    stem = args.scored.stem
    png = out / f"{stem}_confusion.png"
    plot(confusion(scored), f"{stem}: {scored.summary}", png)
    errors = out / f"{stem}_errors.tsv"
    lines = ["id\tgold\tpredicted\tintent\ttext"] + [
        f"{m.item}\t{m.gold}\t{m.predicted}\t{m.intent}\t{m.text}"
        for m in scored.misses
    ]
    errors.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{'class':10} {'prec':>6} {'rec':>6} {'f1':>6} {'n':>5}")
    for label in CLASSES:
        if label in scored.rows:
            precision, recall, f1, n = scored.rows[label]
            print(f"{label:10} {precision:6.3f} {recall:6.3f} {f1:6.3f} {n:5d}")
    print(scored.summary)
    pairs = Counter((m.gold, m.predicted) for m in scored.misses)
    print("commonest confusions (gold → predicted):")
    for (gold, predicted), count in pairs.most_common(8):
        print(f"  {gold} → {predicted}: {count}")
    print(f"wrote {png} and {errors} ({len(scored.misses)} misclassified)")


if __name__ == "__main__":
    main()
