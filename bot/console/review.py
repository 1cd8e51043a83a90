"""The NLU review queue: candidates from the events, trainers' verdicts, figures.

Candidates come from the conversation events the analytics read (the tracker
store's ``events`` table, or the broker's copy in production), chosen by
:mod:`bot.analytics.review`; verdicts live in the console's database
(:class:`ReviewRepository`). Text is masked (``bot.platform.masking``) before
it is shown or stored: a trainer needs the wording, not the shopper.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from bot.analytics.events import load_events
from bot.analytics.review import Candidate, review_candidates, top_intent
from bot.console.models import NOISE
from bot.console.rasa import RasaClient, RasaError
from bot.console.review_repository import ReviewLabel
from bot.platform.db import engine_for
from bot.platform.events import events_table
from bot.platform.masking import mask_text
from bot.platform.settings import SettingError, positive_float, positive_int

DEFAULT_CONFIDENCE = 0.6
DEFAULT_DAYS = 7
MAX_DAYS = 90
#: Internal intents a trainer never assigns.
HIDDEN_INTENTS = frozenset({"nlu_fallback", "session_start", "restart", "back"})


@dataclass(frozen=True)
class ReviewSettings:
    """Settings of the review queue.

    Attributes:
        confidence: ``REVIEW_CONFIDENCE``: below it a message is uncertain.
        days: ``REVIEW_DAYS``: how far back the queue looks by default.
        domain_path: ``REVIEW_DOMAIN``: the domain file whose intents a
            trainer chooses from (default ``domain.yml``).
    """

    confidence: float = DEFAULT_CONFIDENCE
    days: int = DEFAULT_DAYS
    domain_path: Path = Path("domain.yml")

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ReviewSettings:
        """Read the settings.

        Raises:
            SettingError: A value is not a number in range.
        """
        confidence = positive_float(environ, "REVIEW_CONFIDENCE", DEFAULT_CONFIDENCE)
        if confidence > 1:
            raise SettingError("REVIEW_CONFIDENCE", str(confidence), "at most 1")
        return cls(
            confidence=confidence,
            days=min(positive_int(environ, "REVIEW_DAYS", DEFAULT_DAYS), MAX_DAYS),
            domain_path=Path(environ.get("REVIEW_DOMAIN") or "domain.yml"),
        )


def domain_intents(path: Path) -> list[str]:
    """The intents of the domain file a trainer may assign (sorted).

    A retrieval intent (``faq``) is offered as its sub-intents
    (``faq/return_policy``), read from its ``utter_faq/…`` responses: that is
    what the response selectors train on. An unreadable file gives an empty
    list (the page then offers the intents seen in the queue).
    """
    try:
        domain = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []
    if not isinstance(domain, dict):
        return []
    names: set[str] = set()
    for item in domain.get("intents") or []:
        name = next(iter(item)) if isinstance(item, dict) else item
        if isinstance(name, str) and name not in HIDDEN_INTENTS:
            names.add(name)
    for response in domain.get("responses") or {}:
        intent, _, sub = str(response).removeprefix("utter_").partition("/")
        if sub and intent in names:
            names.add(f"{intent}/{sub}")
    retrieval = {name.partition("/")[0] for name in names if "/" in name}
    return sorted(names - retrieval)


def shown(candidate: Candidate) -> Candidate:
    """The candidate with its text masked."""
    return Candidate(
        candidate.sender_id,
        candidate.timestamp,
        mask_text(candidate.text),
        candidate.intent,
        candidate.confidence,
        list(candidate.reasons),
    )


def load_candidates(
    db_url: str, table: str, days: int, confidence: float, now: float | None = None
) -> list[Candidate]:
    """The masked candidates of the last ``days`` days (synchronous: a thread)."""
    engine = engine_for(db_url)
    if not sa.inspect(engine).has_table(table):
        return []
    since = (time.time() if now is None else now) - days * 86400
    rows = load_events(engine, table, since=since)
    return [shown(item) for item in review_candidates(rows, confidence)]


def load_message(
    db_url: str, table: str, sender_id: str, timestamp: float
) -> Candidate | None:
    """The shopper's message ``(sender_id, timestamp)``, masked, or ``None``.

    A verdict is stored with the text read here, never with text a browser
    sent: the training data holds only what shoppers wrote.
    """
    engine = engine_for(db_url)
    if not sa.inspect(engine).has_table(table):
        return None
    events = events_table(table)
    query = sa.select(events.c.data).where(
        events.c.sender_id == sender_id,
        events.c.type_name == "user",
        events.c.timestamp == timestamp,
    )
    with engine.connect() as connection:
        data = connection.execute(query).scalar()
    try:
        event = json.loads(data) if data else None
    except ValueError:
        return None
    if not isinstance(event, dict):
        return None
    text = event.get("text")
    if not isinstance(text, str) or not text.strip() or text.startswith("/"):
        return None
    intent, confidence, _ = top_intent(event)
    return Candidate(sender_id, timestamp, mask_text(text), intent, confidence)


@dataclass
class Figures:
    """How the review stands.

    Attributes:
        reviewed: Verdicts recorded.
        confirmed: The served model's intent was right.
        corrected: A trainer gave another intent.
        noise: Marked as noise (not training material).
        served_accuracy: confirmed / (confirmed + corrected), or ``None``.
    """

    reviewed: int = 0
    confirmed: int = 0
    corrected: int = 0
    noise: int = 0

    @property
    def served_accuracy(self) -> float | None:
        """Share of the reviewed intents the serving model got right."""
        judged = self.confirmed + self.corrected
        return self.confirmed / judged if judged else None


def figures(labels: list[ReviewLabel]) -> Figures:
    """Count the verdicts."""
    result = Figures(reviewed=len(labels))
    for label in labels:
        if label.label == NOISE:
            result.noise += 1
        elif label.label == label.predicted_intent:
            result.confirmed += 1
        else:
            result.corrected += 1
    return result


@dataclass
class Score:
    """How the model loaded now does on the reviewed messages.

    Attributes:
        at: When it was measured (naive UTC).
        model: The model's name as Rasa reports it ("" when unknown).
        total: Messages scored (noise left out).
        right: Messages whose top intent is the trainer's.
        misses: ``(text, expected, predicted)`` of the wrong ones.
        failed: Messages Rasa could not parse.
    """

    at: datetime
    model: str = ""
    total: int = 0
    right: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)
    failed: int = 0

    @property
    def accuracy(self) -> float | None:
        """Right / total, or ``None`` with nothing scored."""
        return self.right / self.total if self.total else None


async def score_labels(
    rasa: RasaClient, labels: list[ReviewLabel], now: datetime, limit: int = 500
) -> Score:
    """Parse every reviewed (non-noise) message with the loaded model.

    Args:
        rasa: The Rasa HTTP API.
        labels: The verdicts.
        now: The time to record.
        limit: At most this many messages (the newest).
    """
    score = Score(at=now)
    semaphore = asyncio.Semaphore(4)

    async def one(label: ReviewLabel) -> tuple[ReviewLabel, dict[str, Any] | None]:
        async with semaphore:
            try:
                return label, await rasa.parse(label.text)
            except RasaError:
                return label, None

    judged = [label for label in labels if label.label != NOISE][:limit]
    for label, parsed in await asyncio.gather(*(one(item) for item in judged)):
        if parsed is None:
            score.failed += 1
            continue
        intent = parsed.get("intent") or {}
        predicted = str(intent.get("name") or "")
        score.model = score.model or str(parsed.get("model") or "")
        score.total += 1
        if predicted == label.label:
            score.right += 1
        else:
            score.misses.append((label.text, label.label, predicted))
    return score
