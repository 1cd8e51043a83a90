"""The coarse classes the NLU is scored in, and per-class figures.

The rule is the one of ``../shared/eval/README.md`` (and its scorer): an intent
name, or a retrieval intent's ``intent/response_key``, maps to the first class
whose marker it contains.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

CLASSES = (
    "delivery",
    "returns",
    "warranty",
    "loyalty",
    "handoff",
    "complaint",
    "greet",
    "goodbye",
    "thank",
    "other",
)
_MARKERS = (
    ("handoff", ("handoff",)),
    ("complaint", ("complain",)),
    ("warranty", ("warranty",)),
    ("loyalty", ("loyalty", "points")),
    ("returns", ("return", "refund")),
    ("delivery", ("delivery",)),
)


def coarse(intent: str) -> str:
    """Map an intent (or ``intent/response_key``) name to its class.

    Args:
        intent: The predicted or labelled intent name.

    Returns:
        One of :data:`CLASSES`.
    """
    name = (intent or "").lower()
    for label, markers in _MARKERS:
        if any(marker in name for marker in markers):
            return label
    for label in ("greet", "goodbye", "thank"):
        if name == label or name.startswith((label + "_", label + "/")):
            return label
    return "other"


@dataclass(frozen=True)
class ClassFigures:
    """Precision, recall and F1 of one class.

    Attributes:
        label: The class.
        precision: Share of predictions of the class that were right.
        recall: Share of the class's items predicted right.
        f1: Their harmonic mean.
        support: How many items the class has.
    """

    label: str
    precision: float
    recall: float
    f1: float
    support: int


def figures(pairs: Iterable[tuple[str, str]]) -> list[ClassFigures]:
    """Per-class figures of (gold, predicted) class pairs, classes with items only.

    Args:
        pairs: Gold and predicted class of each item.

    Returns:
        One entry per class in :data:`CLASSES` order that has gold items.
    """
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for gold, predicted in pairs:
        if gold == predicted:
            tp[gold] += 1
        else:
            fp[predicted] += 1
            fn[gold] += 1
    out = []
    for label in CLASSES:
        support = tp[label] + fn[label]
        if not support:
            continue
        predicted = tp[label] + fp[label]
        precision = tp[label] / predicted if predicted else 0.0
        recall = tp[label] / support
        f1 = (
            2 * precision * recall / (precision + recall) if precision + recall else 0.0
        )
        out.append(ClassFigures(label, precision, recall, f1, support))
    return out


def macro_f1(rows: Iterable[ClassFigures]) -> float:
    """Mean F1 over the classes."""
    values = [row.f1 for row in rows]
    return sum(values) / len(values) if values else 0.0
