import pytest
from wechatpy import parse_message as wechatpy_parse

from bot.wechat.menu import click_payload, pick_from_menu
from bot.wechat.replies import (
    OutgoingText,
    numbered_menu,
    render_bot_message,
    text_reply_xml,
)

RETURN_REASON = [
    {"title": "七天无理由", "payload": '/inform{"return_reason": "七天无理由"}'},
    {"title": "质量问题", "payload": '/inform{"return_reason": "质量问题"}'},
]


def test_buttons_become_a_numbered_menu_under_the_text():
    rendered = numbered_menu("请问退货的原因是？", RETURN_REASON)
    assert rendered.text == (
        "请问退货的原因是？\n\n回复数字选择：\n1. 七天无理由\n2. 质量问题"
    )
    assert rendered.payloads == tuple(b["payload"] for b in RETURN_REASON)


def test_buttons_without_text_are_just_the_menu():
    assert numbered_menu("", RETURN_REASON[:1]).text == "回复数字选择：\n1. 七天无理由"


def test_rendering_keeps_blank_lines_and_ignores_empty_messages():
    assert render_bot_message({"text": "第一段\n\n第二段"}) == OutgoingText(
        "第一段\n\n第二段"
    )
    assert render_bot_message({"recipient_id": "x"}) is None
    assert render_bot_message({"custom": {"text": "自定义"}}) == OutgoingText("自定义")
    assert render_bot_message({"image": "https://x/y.png"}) == OutgoingText(
        "图片：https://x/y.png"
    )
    with_buttons = render_bot_message({"text": "按钮", "buttons": RETURN_REASON})
    assert with_buttons is not None and with_buttons.payloads


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1", "/a"), (" 2 ", "/b"), ("２", "/b"), ("2。", "/b"), ("3", None),
     ("0", None), ("第2个", None), ("12", None), ("", None)],
)  # fmt: skip
def test_a_number_picks_the_button_payload(text, expected):
    assert pick_from_menu(text, ["/a", "/b"]) == expected


def test_numbers_mean_nothing_without_a_menu():
    assert pick_from_menu("1", []) is None


def test_menu_click_maps_to_a_bot_message():
    menu = {"TRACK_DELIVERY": "/track_delivery", "查积分": "/check_loyalty"}
    assert click_payload(menu, "TRACK_DELIVERY") == "/track_delivery"
    assert click_payload(menu, "查积分") == "/check_loyalty"
    assert click_payload(menu, "UNKNOWN") is None
    assert click_payload(menu, None) is None


def test_text_reply_is_addressed_back_to_the_shopper():
    xml = text_reply_xml("您好", "demo-openid-001", "gh_xiaoke0001")
    reply = wechatpy_parse(xml)
    assert reply.type == "text"
    assert reply.content == "您好"
    assert (reply.source, reply.target) == ("gh_xiaoke0001", "demo-openid-001")
