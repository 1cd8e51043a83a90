"""Blank the order header a shopping app pastes into a chat.

Apps open a customer-service chat about an order with a header such as
``咨询订单号:123456789 订单金额:199.00 下单时间:2024-05-01 10:00:00``. It says
nothing about what the shopper wants, yet its words (咨询, 订单, 金额) pull the
classifier towards whatever the training data paired them with. The labels,
the amount and the time become spaces; the order number itself stays, so the
order-number extractor still finds it. Spaces keep every character offset,
so the map back to what the shopper typed is untouched.

Other pieces apps paste go the same way: the label ``订单编号:`` (its number
stays), a product id with its value (``商品ID:100012``: no order number, and
no words a shopper chose), and the fixed markers some apps put in front of a
chat (``订单业务咨询``, ``请选择咨询订单``, ``京东快递(移动端)``,
``顾客通过点击…信息发送:``).
A shopper's own sentence that uses the same words (订单编号在哪看) keeps them:
only a label followed by a colon, or a marker exactly as apps write it, goes.
"""

from __future__ import annotations

import re

# After full-width → half-width: colons are ASCII here; a value runs to a space.
_LABEL_ONLY = re.compile(r"(?:咨询订单号|订单编号)\s*:")
_LABEL_AND_VALUE = re.compile(
    r"(?:订单金额|下单时间)\s*:\s*(?:\[[^\]\s]*\]|[^\s,\[\]]*)"
    r"(?:\s+(?:\d{1,2}:\d{2}(?::\d{2})?|\[时间x\]))?"
    r"|商品(?:id|编号)\s*:\s*(?:\[数字x\]|\d+)"
)
#: Markers apps put in front of a chat (after lower-casing and half width).
_APP_MARKERS = re.compile(
    r"订单业务咨询|请选择咨询订单|京东快递\(移动端\)|顾客通过点击[^\s:]{0,20}信息发送\s*:"
)


def _spaces(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def blank_order_details(text: str) -> str:
    """``text`` with an app's order-header labels, amount and time as spaces.

    Args:
        text: Normalised text (half-width punctuation).

    Returns:
        Text of the same length.
    """
    text = _APP_MARKERS.sub(_spaces, text)
    if ":" not in text:
        return text
    return _LABEL_AND_VALUE.sub(_spaces, _LABEL_ONLY.sub(_spaces, text))
