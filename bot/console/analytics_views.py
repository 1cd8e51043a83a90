"""The analytics page of the console and its CSV export (staff only)."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session
from sqlalchemy.exc import SQLAlchemyError

from bot.analytics.metrics import Filters, Report
from bot.analytics.source import read_report
from bot.console.analytics_csv import every_day, percent_text, report_csv
from bot.console.auth import csrf_token
from bot.console.config import CHINA
from bot.console.keys import SETTINGS
from bot.console.labels import REASON_LABELS as QUEUE_REASON_LABELS
from bot.console.pages import header_context
from bot.platform.masking import mask_text

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP_INTENTS = 15
TOP_FALLBACKS = 20
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_CHANNEL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

#: Handoff reason codes → Chinese: the queue's, plus the analytics' "unknown".
REASON_LABELS: dict[str, str] = {**QUEUE_REASON_LABELS, "unknown": "未记录原因"}
#: Completed flows (the analytics core's codes) → Chinese.
FLOW_LABELS: dict[str, str] = {
    "delivery_tracked": "查询物流",
    "return_created": "申请退货",
    "return_status_checked": "查询退货进度",
    "warranty_registered": "登记保修",
    "warranty_checked": "查询保修",
    "loyalty_checked": "查询会员积分",
}
#: Rasa input channels → Chinese.
CHANNEL_LABELS: dict[str, str] = {
    "web": "网页",
    "rest": "接口（REST）",
    "socketio": "网页（Socket.IO）",
    "wechat": "微信",
    "cmdline": "命令行",
}
UNAVAILABLE = (
    "统计不可用：Rasa 把对话只保存在内存里（没有配置 SQL 对话存储），"
    "请设置 ANALYTICS_DB_URL 或 Rasa 的 SQL tracker store。"
)
READ_FAILED = "统计数据暂时读取不到（数据库无响应或还没有对话记录），请稍后再试。"


class FilterError(ValueError):
    """A filter of the analytics page is invalid; the message is for staff."""


@dataclass(frozen=True)
class FilterInput:
    """The filters as typed, to show them again in the form."""

    start: str
    end: str
    channel: str


def label(labels: Mapping[str, str], code: str) -> str:
    """The Chinese label of ``code`` (unknown codes shown as they are)."""
    return labels.get(code, code)


def china_today() -> date:
    """Today's date in China."""
    return datetime.now(CHINA).date()


def _parse_day(text: str, what: str) -> date:
    if not _DAY.match(text):
        raise FilterError(f"{what}格式不对，应为 YYYY-MM-DD（例如 2024-05-01）")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FilterError(f"{what}不是有效的日期：{text}") from None


def parse_filters(query: Mapping[str, str], today: date) -> Filters:
    """The page's filters from the query string.

    Args:
        query: ``start``, ``end`` (``YYYY-MM-DD``, China time, inclusive) and
            ``channel`` (empty for all channels), each optional.
        today: Today in China, the default end.

    Returns:
        The filters, with both days set (default: the last 30 days to today).

    Raises:
        FilterError: A day is malformed, the end is before the start, the range
            is longer than 366 days or the channel name is invalid.
    """
    start_text = query.get("start", "").strip()
    end_text = query.get("end", "").strip()
    channel = query.get("channel", "").strip()
    end = _parse_day(end_text, "结束日期") if end_text else today
    start = (
        _parse_day(start_text, "开始日期")
        if start_text
        else end - timedelta(days=DEFAULT_DAYS - 1)
    )
    if end < start:
        raise FilterError("结束日期不能早于开始日期")
    if (end - start).days + 1 > MAX_DAYS:
        raise FilterError(f"日期范围最长 {MAX_DAYS} 天，请缩小范围")
    if channel and not _CHANNEL.match(channel):
        raise FilterError("渠道名称无效")
    return Filters(start=start, end=end, channel=channel or None)


def duration_text(seconds: float | None) -> str:
    """``42秒``, ``3分05秒``, ``1小时02分``; ``—`` when unknown."""
    if seconds is None:
        return "—"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}秒"
    if whole < 3600:
        return f"{whole // 60}分{whole % 60:02d}秒"
    return f"{whole // 3600}小时{whole % 3600 // 60:02d}分"


def _share(count: int, total: int) -> str:
    return percent_text(count / total if total else None)


def _by_count(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _flows(report: Report) -> list[dict[str, Any]]:
    codes = list(FLOW_LABELS) + sorted(set(report.flows) - set(FLOW_LABELS))
    return [
        {
            "code": code,
            "label": label(FLOW_LABELS, code),
            "count": report.flows.get(code, 0),
        }
        for code in codes
    ]


def chart_data(report: Report) -> dict[str, Any]:
    """What ``static/analytics.js`` draws (sent to the page as JSON).

    Args:
        report: The analytics report.

    Returns:
        Labels and values of the daily, intent, handoff-reason and rating charts.
    """
    days = every_day(report)
    intents = _by_count(report.intents)[:TOP_INTENTS]
    reasons = _by_count(report.handoff_reasons)
    return {
        "days": {
            "labels": [day.day.isoformat() for day in days],
            "contained": [day.contained for day in days],
            "handoffs": [day.handoffs for day in days],
        },
        "intents": {
            "labels": [name for name, _ in intents],
            "values": [count for _, count in intents],
        },
        "reasons": {
            "labels": [label(REASON_LABELS, code) for code, _ in reasons],
            "values": [count for _, count in reasons],
        },
        "ratings": {
            "labels": [f"{stars}分" for stars in range(1, 6)],
            "values": [report.ratings.get(stars, 0) for stars in range(1, 6)],
        },
    }


def page_context(report: Report) -> dict[str, Any]:
    """The figures and tables of the page, formatted for people.

    Args:
        report: The analytics report.

    Returns:
        Template context: ``figures``, ``reasons``, ``flows``, ``ratings``,
        ``fallbacks`` and ``charts``.
    """
    mean = report.mean_rating
    return {
        "figures": {
            "conversations": report.conversations,
            "containment": percent_text(report.containment_rate),
            "contained": report.contained,
            "handoff": percent_text(report.handoff_rate),
            "handoffs": report.handoffs,
            "fallback": percent_text(report.fallback_rate),
            "fallback_messages": report.fallback_messages,
            "user_messages": report.user_messages,
            "first_reply": duration_text(report.median_first_agent_reply_seconds),
            "first_reply_count": len(report.first_agent_reply_seconds),
            "rating": "—" if mean is None else f"{mean:.2f}",
            "rating_count": report.rating_count,
        },
        "reasons": [
            {
                "code": code,
                "label": label(REASON_LABELS, code),
                "count": count,
                "share": _share(count, report.handoffs),
            }
            for code, count in _by_count(report.handoff_reasons)
        ],
        "flows": _flows(report),
        "ratings": [
            {
                "stars": stars,
                "count": report.ratings.get(stars, 0),
                "share": _share(report.ratings.get(stars, 0), report.rating_count),
            }
            for stars in range(5, 0, -1)
        ],
        # The core masks them already; masking again costs nothing (PIPL).
        "fallbacks": [
            {"text": mask_text(item.text), "count": item.count}
            for item in report.top_fallbacks
        ],
        "charts": chart_data(report),
    }


def _channel_options(
    report: Report | None, selected: str | None
) -> list[dict[str, Any]]:
    codes = set(report.channels) if report else set()
    if selected:
        codes.add(selected)  # a channel without events in the range
    return [
        {
            "code": code,
            "label": label(CHANNEL_LABELS, code),
            "selected": code == selected,
        }
        for code in sorted(codes)
    ]


async def _render(
    request: web.Request, status: int = 200, **context: Any
) -> web.Response:
    session = await get_session(request)
    context["user"] = request.get("user")
    context["csrf_token"] = csrf_token(session)
    context.update(await header_context(request))
    response = aiohttp_jinja2.render_template("analytics.html", request, context)
    response.set_status(status)
    return response


def _typed(request: web.Request) -> FilterInput:
    query = request.query
    return FilterInput(
        start=query.get("start", "")[:32],
        end=query.get("end", "")[:32],
        channel=query.get("channel", "")[:64],
    )


async def _report(request: web.Request, filters: Filters) -> Report:
    settings = request.app[SETTINGS]
    if settings.analytics_db_url is None:  # checked by the callers
        raise RuntimeError("analytics_db_url is not set")
    return await asyncio.to_thread(
        read_report,
        settings.analytics_db_url,
        settings.analytics_table,
        filters,
        top_fallbacks=TOP_FALLBACKS,
    )


def _export_href(filters: Filters) -> str:
    query = {
        "start": filters.start.isoformat() if filters.start else "",
        "end": filters.end.isoformat() if filters.end else "",
    }
    if filters.channel:
        query["channel"] = filters.channel
    return f"/analytics/export.csv?{urlencode(query)}"


async def analytics_page(request: web.Request) -> web.Response:
    """Headline figures, charts and common fallback messages for a date range."""
    settings = request.app[SETTINGS]
    try:
        filters = parse_filters(request.query, china_today())
    except FilterError as error:
        return await _render(
            request, 400, error=str(error), typed=_typed(request), channels=[]
        )
    shown = FilterInput(
        start=filters.start.isoformat() if filters.start else "",
        end=filters.end.isoformat() if filters.end else "",
        channel=filters.channel or "",
    )
    if settings.analytics_db_url is None:
        return await _render(
            request,
            unavailable=UNAVAILABLE,
            typed=shown,
            channels=_channel_options(None, filters.channel),
        )
    try:
        report = await _report(request, filters)
    except SQLAlchemyError as error:
        logger.warning(
            "analytics: reading table %s failed: %s",
            settings.analytics_table,
            type(error).__name__,
        )
        return await _render(
            request,
            503,
            error=READ_FAILED,
            typed=shown,
            channels=_channel_options(None, filters.channel),
        )
    return await _render(
        request,
        typed=shown,
        channel_label=label(CHANNEL_LABELS, filters.channel)
        if filters.channel
        else "全部渠道",
        channels=_channel_options(report, filters.channel),
        export_href=_export_href(filters),
        **page_context(report),
    )


def _text(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=message, content_type="text/plain")


def export_filename(filters: Filters) -> str:
    """``xiaoke-analytics-20240501-20240530[-wechat].csv``."""
    parts = ["xiaoke-analytics"]
    parts += [day.strftime("%Y%m%d") for day in (filters.start, filters.end) if day]
    if filters.channel:
        parts.append(filters.channel)
    return "-".join(parts) + ".csv"


async def analytics_export(request: web.Request) -> web.Response:
    """The page's figures as CSV (UTF-8 with BOM for Excel), same filters."""
    settings = request.app[SETTINGS]
    try:
        filters = parse_filters(request.query, china_today())
    except FilterError as error:
        return _text(400, str(error))
    if settings.analytics_db_url is None:
        return _text(503, UNAVAILABLE)
    try:
        report = await _report(request, filters)
    except SQLAlchemyError as error:
        logger.warning(
            "analytics export: reading table %s failed: %s",
            settings.analytics_table,
            type(error).__name__,
        )
        return _text(503, READ_FAILED)
    body = report_csv(
        report,
        reason_labels=REASON_LABELS,
        flow_labels=FLOW_LABELS,
        channel_labels=CHANNEL_LABELS,
    )
    return web.Response(
        body=body,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": (
                f'attachment; filename="{export_filename(filters)}"'
            ),
            "Cache-Control": "no-store",
        },
    )
