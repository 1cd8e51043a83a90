"""Hostile and odd shopper texts, shared by the REST and WeChat bad-input runs."""

from __future__ import annotations

BAD_INPUTS = {
    "very long": "我的快递到哪了" * 1500,
    "empty": "",
    "spaces only": "   \t  ",
    "emoji only": "😀😡🙏📦🚚" * 5,
    "control characters": "查\x00订\x07单\x1b[31m\r\n\x7f\u200b\u202e",
    "mixed scripts": "Where is my 快遞 заказ 주문 طلب XK２０２４",
    "sql injection": "XK202411110001'; DROP TABLE events; --",
    "html": "<b>退货</b><img src=x onerror=alert(1)>",
    "script": "<script>alert('小客')</script>",
    "template": "{{7*7}} ${RASA_TOKEN} %s %(x)s",
    "lone surrogate escape": "\\ud800 退款",
}
