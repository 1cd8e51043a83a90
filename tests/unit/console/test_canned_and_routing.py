"""Canned replies' variables and routing rules, without a database."""

from __future__ import annotations

from bot.console.canned import fill, unfilled, variable_values
from bot.console.routing import Team, parse_codes, route

TEAMS = [
    Team(1, "售前", ("presales_question",), ("ask_product",), False),
    Team(2, "售后", ("signed_not_received",), ("request_return",), True),
    Team(3, "投诉", ("complaint",), ("complain",), False),
]


def test_the_reason_wins_then_the_latest_intent_then_the_default():
    assert route(TEAMS, "complaint", ["ask_product"]) == 3
    assert route(TEAMS, "shopper_request", ["request_return", "ask_product"]) == 1
    assert route(TEAMS, "shopper_request", ["ask_product", "request_return"]) == 2
    assert route(TEAMS, "repeated_fallback", ["greet"]) == 2
    assert route([], "complaint", []) is None


def test_without_a_default_team_the_first_team_takes_the_rest():
    teams = [Team(7, "甲", (), (), False), Team(8, "乙", (), (), False)]
    assert route(teams, "anything", []) == 7


def test_codes_typed_with_chinese_separators():
    assert parse_codes("complaint，request_return、 complaint\nask_product") == (
        "complaint",
        "request_return",
        "ask_product",
    )


def test_variables_come_from_the_slots_and_the_crm_with_the_name_masked():
    values = variable_values(
        {"slots": {"tracking_number": "SF1234567890"}, "order_numbers": ["XK1", "XK2"]},
        {"customer": {"name": "王芳"}, "loyalty": {"points_balance": 1280}},
        "alice",
    )
    assert values == {
        "姓名": "王*",
        "订单号": "XK2",
        "物流单号": "SF1234567890",
        "积分": "1280",
        "客服名": "alice",
    }


def test_a_missing_value_stays_a_placeholder_and_is_reported():
    values = variable_values({}, {"note": "顾客尚未核实身份"}, "bob")
    text, missing = fill("{姓名}您好，我是{客服名}，订单{订单号}已查到", values)
    assert text == "{姓名}您好，我是bob，订单{订单号}已查到"
    assert missing == ["姓名", "订单号"]


def test_only_the_known_variables_count_as_placeholders():
    assert unfilled("价格{以页面为准}，订单{订单号}、{订单号}") == ["订单号"]
