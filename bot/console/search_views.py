"""Search conversations by order number, masked phone, tag, agent and date range."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from bot.console.config import CHINA
from bot.console.errors import ConsoleError
from bot.console.keys import WORKBENCH
from bot.console.labels import OUTCOME_LABELS
from bot.console.pages import render_page
from bot.console.phones import phone_query
from bot.console.queue_views import now, queue_item

PAGE_SIZE = 20
#: Order numbers are letters and digits (``XK`` + 12 digits); nothing else is searched.
_ORDER = re.compile(r"^[A-Za-z0-9]{1,32}$")


def _day(value: str, name: str) -> datetime | None:
    """A China date ``YYYY-MM-DD`` as the naive UTC start of that day."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ConsoleError(400, "bad_date", f"{name}的格式应为 2024-01-31") from None
    moment = datetime.combine(day, time(0), CHINA).astimezone(timezone.utc)
    return moment.replace(tzinfo=None)


def _filters(query: Any) -> dict[str, Any]:
    order = query.get("order", "").strip()
    if order and not _ORDER.match(order):
        raise ConsoleError(400, "bad_order", "订单号只能包含字母和数字")
    end = _day(query.get("to", "").strip(), "结束日期")
    typed_phone = query.get("phone", "").strip()
    phone = phone_query(typed_phone) if typed_phone else None
    if typed_phone and phone is None:
        raise ConsoleError(
            400, "bad_phone", "手机号请输入 138****5678、完整号码或后四位"
        )
    return {
        "order_number": order,
        "phone": phone,
        "tag": query.get("tag", "").strip()[:32],
        "agent": query.get("agent", "").strip()[:64],
        "start": _day(query.get("from", "").strip(), "开始日期"),
        "end": end + timedelta(days=1) if end is not None else None,
    }


async def search_page(request: web.Request) -> web.Response:
    """The search form and one page of results (masked like the queue)."""
    filters = _filters(request.query)
    try:
        page = max(1, int(request.query.get("page", "1") or 1))
    except ValueError:
        page = 1
    searched = any(filters.values())
    workbench = request.app[WORKBENCH]
    found = []
    if searched:
        found = await workbench.search(
            **filters, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE
        )
    tags = await workbench.tags_of([h.id for h in found])
    moment = now()
    results = [
        {
            **queue_item(handoff, moment),
            "date": handoff.created_at.replace(tzinfo=timezone.utc)
            .astimezone(CHINA)
            .strftime("%Y-%m-%d %H:%M"),
            "outcome": OUTCOME_LABELS.get(handoff.status, handoff.status),
            "tags": tags.get(handoff.id, []),
        }
        for handoff in found[:PAGE_SIZE]
    ]
    return await render_page(
        request,
        "search.html",
        query=dict(request.query),
        results=results,
        searched=searched,
        prev_url=_page_url(request, page - 1) if page > 1 else None,
        next_url=_page_url(request, page + 1) if len(found) > PAGE_SIZE else None,
    )


def _page_url(request: web.Request, page: int) -> str:
    kept = {key: value for key, value in request.query.items() if key != "page"}
    return "/search?" + urlencode({**kept, "page": str(page)})
