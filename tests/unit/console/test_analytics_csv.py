"""The analytics CSV export: sections, numbers, BOM, masking, formula guard."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest

from bot.analytics.metrics import DayFigures, FallbackText, Filters, Report
from bot.console.analytics_csv import every_day, report_csv, safe_cell
from bot.console.analytics_views import CHANNEL_LABELS, FLOW_LABELS, REASON_LABELS


def _report(**overrides) -> Report:
    values: dict[str, Any] = dict(
        filters=Filters(start=date(2024, 5, 1), end=date(2024, 5, 3), channel="wechat"),
        conversations=8,
        contained=5,
        handoffs=3,
        handoff_reasons={"complaint": 2, "mystery_code": 1},
        user_messages=40,
        fallback_messages=6,
        intents={"greet": 8, "track_delivery": 12, "nlu_fallback": 6},
        flows={"delivery_tracked": 4, "return_created": 1},
        first_agent_reply_seconds=[30.0, 90.0, 45.0],
        ratings={1: 0, 2: 1, 3: 0, 4: 2, 5: 3},
        per_day=[
            DayFigures(date(2024, 5, 1), 5, 3, 2, 25, 4, 4),
            DayFigures(date(2024, 5, 3), 3, 2, 1, 15, 2, 2),
        ],
        top_fallbacks=[
            # Not masked, as if the core had missed it: the export masks again.
            FallbackText("收货人王芳电话13900001111，货还没到", 3),
            FallbackText('=HYPERLINK("http://evil.example","点我")', 2),
            FallbackText("+86 呼叫我", 1),
        ],
        channels=["rest", "wechat"],
    )
    values.update(overrides)
    return Report(**values)


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def _section(rows: list[list[str]], title: str) -> list[list[str]]:
    start = next(i for i, row in enumerate(rows) if row and row[0] == title)
    end = next((i for i in range(start, len(rows)) if not rows[i]), len(rows))
    return rows[start + 1 : end]


def _export(report: Report) -> list[list[str]]:
    return _rows(
        report_csv(
            report,
            reason_labels=REASON_LABELS,
            flow_labels=FLOW_LABELS,
            channel_labels=CHANNEL_LABELS,
        )
    )


def test_export_starts_with_a_bom_and_names_the_filters():
    rows = _export(_report())
    assert rows[1] == ["开始日期", "2024-05-01"]
    assert rows[2] == ["结束日期", "2024-05-03"]
    assert rows[3] == ["渠道", "微信"]


def test_per_day_section_has_every_day_of_the_range():
    days = _section(_export(_report()), "每日数据")
    assert days[0] == [
        "日期",
        "会话数",
        "自助解决",
        "转人工",
        "用户消息",
        "兜底回复",
        "评价数",
    ]
    assert days[1:] == [
        ["2024-05-01", "5", "3", "2", "25", "4", "4"],
        ["2024-05-02", "0", "0", "0", "0", "0", "0"],
        ["2024-05-03", "3", "2", "1", "15", "2", "2"],
    ]


def test_totals_are_the_report_figures():
    totals = dict(_section(_export(_report()), "汇总指标"))
    assert totals == {
        "会话数": "8",
        "自助解决会话数": "5",
        "自助解决率": "62.5%",
        "转人工会话数": "3",
        "转人工率": "37.5%",
        "用户消息数": "40",
        "兜底回复数": "6",
        "兜底率": "15.0%",
        "首次人工回复中位时间（秒）": "45.0",
        "首次人工回复样本数": "3",
        "满意度均分（1–5）": "4.17",
        "评价数": "6",
    }


def test_reasons_flows_ratings_and_intents_are_listed_with_labels():
    rows = _export(_report())
    assert _section(rows, "转人工原因") == [["顾客投诉", "2"], ["mystery_code", "1"]]
    assert _section(rows, "评分")[0] == ["5分", "3"]
    assert _section(rows, "评分")[-1] == ["1分", "0"]
    flows = dict(_section(rows, "完成的业务流程"))
    assert flows["查询物流"] == "4" and flows["申请退货"] == "1"
    assert flows["登记保修"] == "0"
    assert _section(rows, "意图")[0] == ["track_delivery", "12"]


def test_fallback_texts_are_masked_again():
    fallbacks = _section(_export(_report()), "常见兜底消息（已脱敏）")
    text, count = fallbacks[0]
    assert count == "3"
    assert "13900001111" not in text and "王芳" not in text
    assert text == "收货人王*电话139****1111，货还没到"


def test_cells_that_look_like_formulas_get_an_apostrophe():
    fallbacks = _section(_export(_report()), "常见兜底消息（已脱敏）")
    assert fallbacks[1][0].startswith("'=HYPERLINK(")
    assert fallbacks[2][0] == "'+86 呼叫我"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("普通文字", "普通文字"),
        (12, "12"),
        ("62.5%", "62.5%"),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_an_empty_report_exports_dashes_for_undefined_rates():
    empty = _report(
        conversations=0,
        contained=0,
        handoffs=0,
        handoff_reasons={},
        user_messages=0,
        fallback_messages=0,
        intents={},
        flows={},
        first_agent_reply_seconds=[],
        ratings={score: 0 for score in range(1, 6)},
        per_day=[],
        top_fallbacks=[],
        filters=Filters(start=date(2024, 5, 1), end=date(2024, 5, 1)),
    )
    rows = _export(empty)
    totals = dict(_section(rows, "汇总指标"))
    assert totals["自助解决率"] == "—" and totals["满意度均分（1–5）"] == "—"
    assert rows[3] == ["渠道", "全部渠道"]
    assert _section(rows, "每日数据")[1:] == [
        ["2024-05-01", "0", "0", "0", "0", "0", "0"]
    ]


def test_every_day_without_filter_days_spans_the_data():
    report = _report(filters=Filters())
    assert [day.day for day in every_day(report)] == [
        date(2024, 5, 1),
        date(2024, 5, 2),
        date(2024, 5, 3),
    ]
