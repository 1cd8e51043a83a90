"""The terminal chat client renders the REST channel's messages."""

from bot.chat import format_reply


def test_text_reply_is_shown_as_is():
    assert format_reply({"recipient_id": "me", "text": "亲，您好"}) == "亲，您好"


def test_buttons_are_numbered():
    reply = {"text": "原因？", "buttons": [{"title": "质量问题"}, {"title": "其他"}]}
    assert format_reply(reply) == "原因？\n  [1] 质量问题\n  [2] 其他"


def test_empty_reply_renders_empty():
    assert format_reply({}) == ""
