"""The analytics report as a CSV file for Excel (UTF-8 with BOM, no formulas)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta

from bot.analytics.metrics import DayFigures, Report
from bot.platform.masking import mask_text

#: A cell starting with one of these is a formula to Excel / WPS / LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DAY_HEADER = ("日期", "会话数", "自助解决", "转人工", "用户消息", "兜底回复", "评价数")
Cell = str | int | float


def safe_cell(value: Cell) -> str:
    """``value`` as text that a spreadsheet shows and never evaluates.

    OWASP's advice against CSV injection: a leading apostrophe makes a cell
    that starts like a formula plain text.
    """
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def percent_text(rate: float | None) -> str:
    """``0.625`` → ``62.5%``; ``—`` when there is nothing to divide by."""
    return "—" if rate is None else f"{rate * 100:.1f}%"


def every_day(report: Report) -> list[DayFigures]:
    """``report.per_day`` with zero rows for the days without conversations.

    Args:
        report: The analytics report (its filters' days bound the range).

    Returns:
        One row per day, oldest first.
    """
    known = {figures.day: figures for figures in report.per_day}
    start = report.filters.start or min(known, default=None)
    end = report.filters.end or max(known, default=None)
    if start is None or end is None:
        return []
    days = []
    day = start
    while day <= end:
        days.append(
            known.get(day)
            or DayFigures(
                day=day,
                conversations=0,
                contained=0,
                handoffs=0,
                user_messages=0,
                fallback_messages=0,
                ratings=0,
            )
        )
        day += timedelta(days=1)
    return days


def _counts(
    title: str, counts: Iterable[tuple[str, int]], labels: Mapping[str, str]
) -> list[Sequence[Cell]]:
    return [(title, "次数"), *((labels.get(code, code), n) for code, n in counts)]


def _by_count(counts: Mapping[str, int]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _totals(report: Report) -> list[Sequence[Cell]]:
    median = report.median_first_agent_reply_seconds
    mean = report.mean_rating
    return [
        ("汇总指标", "数值"),
        ("会话数", report.conversations),
        ("自助解决会话数", report.contained),
        ("自助解决率", percent_text(report.containment_rate)),
        ("转人工会话数", report.handoffs),
        ("转人工率", percent_text(report.handoff_rate)),
        ("用户消息数", report.user_messages),
        ("兜底回复数", report.fallback_messages),
        ("兜底率", percent_text(report.fallback_rate)),
        ("首次人工回复中位时间（秒）", "—" if median is None else f"{median:.1f}"),
        ("首次人工回复样本数", len(report.first_agent_reply_seconds)),
        ("满意度均分（1–5）", "—" if mean is None else f"{mean:.2f}"),
        ("评价数", report.rating_count),
    ]


def report_rows(
    report: Report,
    *,
    reason_labels: Mapping[str, str] | None = None,
    flow_labels: Mapping[str, str] | None = None,
    channel_labels: Mapping[str, str] | None = None,
) -> list[Sequence[Cell]]:
    """The rows of the export, sections separated by an empty row.

    Args:
        report: The analytics report.
        reason_labels: Handoff reason code → Chinese (unknown codes as they are).
        flow_labels: Flow code → Chinese.
        channel_labels: Channel → Chinese.

    Returns:
        Filters, per-day figures, totals, handoff reasons, ratings, flows,
        intents and the most common fallback messages (masked again).
    """
    filters = report.filters
    channel = filters.channel
    rows: list[Sequence[Cell]] = [
        ("小客客服数据统计（北京时间）",),
        ("开始日期", filters.start.isoformat() if filters.start else ""),
        ("结束日期", filters.end.isoformat() if filters.end else ""),
        (
            "渠道",
            (channel_labels or {}).get(channel, channel) if channel else "全部渠道",
        ),
        (),
        ("每日数据",),
        DAY_HEADER,
    ]
    rows += [
        (
            day.day.isoformat(),
            day.conversations,
            day.contained,
            day.handoffs,
            day.user_messages,
            day.fallback_messages,
            day.ratings,
        )
        for day in every_day(report)
    ]
    rows += [(), *_totals(report), ()]
    rows += _counts(
        "转人工原因", _by_count(report.handoff_reasons), reason_labels or {}
    )
    rows += [(), ("评分", "次数")]
    rows += [(f"{stars}分", report.ratings.get(stars, 0)) for stars in range(5, 0, -1)]
    flows = flow_labels or {}
    flow_codes = list(flows) + sorted(set(report.flows) - set(flows))
    rows.append(())
    rows += _counts(
        "完成的业务流程",
        ((code, report.flows.get(code, 0)) for code in flow_codes),
        flows,
    )
    rows.append(())
    rows += _counts("意图", _by_count(report.intents), {})
    rows += [(), ("常见兜底消息（已脱敏）", "次数")]
    # The core masks them; masking again here is defence in depth (PIPL).
    rows += [(mask_text(item.text), item.count) for item in report.top_fallbacks]
    return rows


def report_csv(
    report: Report,
    *,
    reason_labels: Mapping[str, str] | None = None,
    flow_labels: Mapping[str, str] | None = None,
    channel_labels: Mapping[str, str] | None = None,
) -> bytes:
    """The export file: :func:`report_rows` as CSV, UTF-8 with a BOM.

    Args:
        report: The analytics report.
        reason_labels: Handoff reason code → Chinese.
        flow_labels: Flow code → Chinese.
        channel_labels: Channel → Chinese.

    Returns:
        The file's bytes (Excel opens Chinese correctly thanks to the BOM).
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in report_rows(
        report,
        reason_labels=reason_labels,
        flow_labels=flow_labels,
        channel_labels=channel_labels,
    ):
        writer.writerow([safe_cell(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")
