"""A turn's bot messages as one WeChat text; splitting what does not fit."""

import pytest

from bot.wechat.compose import PASSIVE_LIMIT, compose, cut, utf8_size
from bot.wechat.replies import OutgoingText, numbered_menu

RATING = [
    {"title": "满意", "payload": '/rate{"score": 5}'},
    {"title": "不满意", "payload": '/rate{"score": 1}'},
]


def test_the_default_limit_is_wechats_2048_bytes():
    assert PASSIVE_LIMIT == 2048


def test_a_turns_texts_become_one_text_a_blank_line_apart():
    answer = compose(
        [
            OutgoingText("身份验证通过，王芳您好！"),
            OutgoingText("您当前有 1280 积分。"),
            OutgoingText("其中 300 积分将于 2026-12-31 过期。"),
        ]
    )
    assert answer.parts == (
        "身份验证通过，王芳您好！\n\n您当前有 1280 积分。\n\n"
        "其中 300 积分将于 2026-12-31 过期。",
    )
    assert answer.payloads == ()


def test_buttons_stay_a_numbered_menu_at_the_end():
    answer = compose(
        [
            numbered_menu("这次服务您满意吗？", RATING),
            OutgoingText("还有其他问题随时找小客～"),
        ]
    )
    assert answer.parts == (
        "这次服务您满意吗？\n\n还有其他问题随时找小客～\n\n"
        "回复数字选择：\n1. 满意\n2. 不满意",
    )
    assert answer.payloads == ('/rate{"score": 5}', '/rate{"score": 1}')


def test_two_menus_in_a_turn_become_one_numbered_menu():
    answer = compose(
        [
            numbered_menu("请选择订单：", [{"title": "订单A", "payload": "/a"}]),
            numbered_menu("或者：", [{"title": "转人工", "payload": "/human"}]),
        ]
    )
    assert answer.parts[-1].endswith("回复数字选择：\n1. 订单A\n2. 转人工")
    assert answer.payloads == ("/a", "/human")


def test_nothing_readable_gives_no_parts():
    assert compose([]).parts == ()
    assert compose([OutgoingText("  ")]).parts == ()


def test_an_answer_of_exactly_the_limit_is_one_part():
    first, second = "甲" * 10, "乙" * 10  # 30 bytes each, 2 for the separator
    answer = compose([OutgoingText(first), OutgoingText(second)], limit=62)
    assert answer.parts == (f"{first}\n\n{second}",)
    assert len(compose([OutgoingText(first), OutgoingText(second)], 61).parts) == 2


def test_too_long_answers_split_between_messages_in_order():
    messages = [OutgoingText(f"第{n}条：" + "好" * 20) for n in range(1, 6)]
    answer = compose(messages, limit=150)
    assert all(utf8_size(part) <= 150 for part in answer.parts)
    assert len(answer.parts) == 3  # two messages (2 × 70 bytes + 2) per part
    assert "\n\n".join(answer.parts) == "\n\n".join(m.body for m in messages)


def test_the_menu_ends_the_last_part_of_a_split_answer():
    messages = [OutgoingText("说明" * 30), numbered_menu("您满意吗？", RATING)]
    answer = compose(messages, limit=200)
    assert len(answer.parts) == 2
    assert answer.parts[0] == "说明" * 30
    assert answer.parts[1] == "您满意吗？\n\n回复数字选择：\n1. 满意\n2. 不满意"


def test_a_message_longer_than_the_limit_is_cut_between_lines():
    lines = [f"第{n}行" + "字" * 10 for n in range(10)]  # 37 bytes a line
    pieces = cut("\n".join(lines), limit=100)
    assert pieces == ["\n".join(lines[i : i + 2]) for i in range(0, 10, 2)]


def test_a_line_longer_than_the_limit_is_cut_between_characters():
    line = "长" * 50 + "a"  # 151 bytes
    pieces = cut(line, limit=64)
    assert pieces == ["长" * 21, "长" * 21, "长" * 8 + "a"]
    assert "".join(pieces) == line


@pytest.mark.parametrize("limit", [0, 3])
def test_a_limit_without_room_for_a_character_is_refused(limit):
    with pytest.raises(ValueError):
        compose([OutgoingText("你好")], limit=limit)
