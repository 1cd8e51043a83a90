"""The terminal chat client renders the REST channel's messages."""

from bot.devtools.chat import chosen_payload, format_reply


def test_text_reply_is_shown_as_is():
    assert format_reply({"recipient_id": "me", "text": "亲，您好"}) == "亲，您好"


def test_buttons_are_numbered():
    reply = {"text": "原因？", "buttons": [{"title": "质量问题"}, {"title": "其他"}]}
    assert format_reply(reply) == "原因？\n  [1] 质量问题\n  [2] 其他"


def test_empty_reply_renders_empty():
    assert format_reply({}) == ""


BUTTONS = [
    {"title": "XK202411110001", "payload": '/inform{"order_id": "XK202411110001"}'},
    {"title": "XK202411110003", "payload": '/inform{"order_id": "XK202411110003"}'},
]


def test_a_number_picks_the_buttons_payload():
    assert chosen_payload("2", BUTTONS) == '/inform{"order_id": "XK202411110003"}'
    assert chosen_payload("１", BUTTONS) == '/inform{"order_id": "XK202411110001"}'


def test_other_text_or_numbers_out_of_range_are_sent_as_typed():
    assert chosen_payload("3", BUTTONS) is None
    assert chosen_payload("0", BUTTONS) is None
    assert chosen_payload("我的快递", BUTTONS) is None
    assert chosen_payload("1", []) is None
