"""Blank the order header a shopping app pastes into a chat.

Apps open a customer-service chat about an order with a header such as
``咨询订单号:123456789 订单金额:199.00 下单时间:2024-05-01 10:00:00``. It says
nothing about what the shopper wants, yet its words (咨询, 订单, 金额) pull the
classifier towards whatever the training data paired them with. The labels,
the amount and the time become spaces; the order number itself stays, so the
order-number extractor still finds it. Spaces keep every character offset,
so the map back to what the shopper typed is untouched.
"""

from __future__ import annotations

import re

# After full-width → half-width: colons are ASCII here; a value runs to a space.
_LABEL_ONLY = re.compile(r"咨询订单号\s*:")
_LABEL_AND_VALUE = re.compile(
    r"(?:订单金额|下单时间)\s*:\s*[^\s]*(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
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
    if ":" not in text:
        return text
    return _LABEL_AND_VALUE.sub(_spaces, _LABEL_ONLY.sub(_spaces, text))
