"""The 待标注 page: trainers confirm or correct what the NLU made of messages."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.analytics.review import REASONS, Candidate
from bot.console.auth import current_user
from bot.console.errors import ConsoleError
from bot.console.keys import REVIEW, REVIEW_SCORE, REVIEW_SETTINGS, SERVICE, SETTINGS
from bot.console.models import NOISE
from bot.console.pages import render_page, wants_json
from bot.console.review import (
    MAX_DAYS,
    domain_intents,
    figures,
    load_candidates,
    load_message,
    score_labels,
)
from bot.console.review_repository import ReviewLabel

REASON_LABELS = {
    "fallback": "没听懂（兜底）",
    "low_confidence": "置信度低",
    "handoff": "随后转人工",
    "rephrase": "顾客换了说法",
}
STATUSES = {"todo": "待标注", "done": "已标注", "all": "全部"}
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}(/[a-z0-9_]{1,64})?$")
PAGE_SIZE = 100


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _days(request: web.Request) -> int:
    default = request.app[REVIEW_SETTINGS].days
    raw = request.query.get("days", "")
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise ConsoleError(400, "invalid_days", f"天数应为 1–{MAX_DAYS} 的整数")
    return int(raw)


def _status(request: web.Request) -> str:
    status = request.query.get("status", "todo")
    if status not in STATUSES:
        raise ConsoleError(400, "invalid_status", "状态只能是 待标注 / 已标注 / 全部")
    return status


def _events_source(request: web.Request) -> tuple[str, str] | None:
    settings = request.app[SETTINGS]
    if settings.analytics_db_url is None:
        return None
    return settings.analytics_db_url, settings.analytics_table


def _intents(request: web.Request, candidates: list[Candidate]) -> list[str]:
    known = domain_intents(request.app[REVIEW_SETTINGS].domain_path)
    if known:
        return known
    return sorted({item.intent for item in candidates if item.intent})


def _row(candidate: Candidate, label: ReviewLabel | None) -> dict[str, Any]:
    return {
        "sender_id": candidate.sender_id,
        "timestamp": repr(candidate.timestamp),
        "when": datetime.fromtimestamp(candidate.timestamp, timezone.utc),
        "text": candidate.text,
        "intent": candidate.intent or "",
        "confidence": f"{candidate.confidence:.2f}",
        "reasons": [REASON_LABELS[reason] for reason in candidate.reasons],
        "reason_codes": ",".join(candidate.reasons),
        "label": label.label if label else None,
        "reviewer": label.reviewer if label else None,
    }


async def review_page(request: web.Request) -> web.StreamResponse:
    """The queue of messages to review, with the figures of the review so far."""
    days, status = _days(request), _status(request)
    source = _events_source(request)
    candidates: list[Candidate] = []
    if source is not None:
        candidates = await asyncio.to_thread(
            load_candidates, *source, days, request.app[REVIEW_SETTINGS].confidence
        )
    labels = await request.app[REVIEW].labels()
    by_key = {label.key: label for label in labels}
    rows = [
        _row(item, by_key.get(item.key))
        for item in candidates
        if status == "all" or (item.key in by_key) == (status == "done")
    ]
    counts = figures(labels)
    scores = request.app[REVIEW_SCORE]
    context = {
        "rows": rows[:PAGE_SIZE],
        "more": max(0, len(rows) - PAGE_SIZE),
        "todo": sum(1 for item in candidates if item.key not in by_key),
        "figures": counts,
        "score": scores[-1] if scores else None,
        "intents": _intents(request, candidates),
        "noise": NOISE,
        "days": days,
        "status": status,
        "statuses": STATUSES,
        "no_source": source is None,
        "threshold": request.app[REVIEW_SETTINGS].confidence,
    }
    if wants_json(request):
        return web.json_response(
            {
                "rows": [{**row, "when": row["when"].isoformat()} for row in rows],
                "reviewed": counts.reviewed,
                "confirmed": counts.confirmed,
                "corrected": counts.corrected,
                "noise": counts.noise,
            }
        )
    return await render_page(request, "review.html", **context)


async def _form(request: web.Request) -> dict[str, str]:
    if request.content_type == "application/json":
        body = await request.json()
        return {key: str(value) for key, value in dict(body).items()}
    return {key: str(value) for key, value in (await request.post()).items()}


def _back(form: dict[str, str]) -> str:
    query = {
        key: form[key] for key in ("days", "status") if form.get(key, "").isalnum()
    }
    return "/review" + (f"?{urlencode(query)}" if query else "")


async def label_message(request: web.Request) -> web.StreamResponse:
    """Record a verdict: the right intent for a message, or noise."""
    form = await _form(request)
    label = form.get("label", "")
    allowed = set(domain_intents(request.app[REVIEW_SETTINGS].domain_path))
    if label != NOISE and (
        not INTENT_NAME.match(label) or (allowed and label not in allowed)
    ):
        raise ConsoleError(400, "invalid_label", "请选择一个已有的意图，或标为无效消息")
    try:
        timestamp = float(form.get("timestamp", ""))
    except ValueError:
        raise ConsoleError(400, "invalid_message", "找不到这条消息") from None
    source = _events_source(request)
    message = None
    if source is not None:
        message = await asyncio.to_thread(
            load_message, *source, form.get("sender_id", ""), timestamp
        )
    if message is None:
        raise ConsoleError(404, "no_message", "找不到这条消息（可能已被删除）")
    reasons = [code for code in form.get("reasons", "").split(",") if code in REASONS]
    await request.app[REVIEW].save_label(
        ReviewLabel(
            sender_id=message.sender_id,
            event_timestamp=message.timestamp,
            text=message.text,
            predicted_intent=message.intent,
            confidence=message.confidence,
            reasons=reasons,
            label=label,
            reviewer=current_user(request),
            reviewed_at=_now(),
        )
    )
    if wants_json(request):
        return web.json_response({"saved": True, "label": label})
    raise web.HTTPSeeOther(_back(form))


async def score_model(request: web.Request) -> web.StreamResponse:
    """Score the model loaded now on every reviewed message."""
    form = await _form(request)
    labels = await request.app[REVIEW].labels()
    score = await score_labels(request.app[SERVICE].rasa, labels, _now())
    request.app[REVIEW_SCORE][:] = [score]
    if wants_json(request):
        return web.json_response(
            {"total": score.total, "right": score.right, "failed": score.failed}
        )
    raise web.HTTPSeeOther(_back(form))
