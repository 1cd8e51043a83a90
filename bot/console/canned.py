"""Canned replies' variables: fill them from the conversation, find what is missing."""

from __future__ import annotations

import re
from typing import Any

from bot.platform.masking import mask_name

#: The variables a canned reply may use.
VARIABLES = ("姓名", "订单号", "物流单号", "积分", "客服名")
PLACEHOLDER = re.compile(r"\{(" + "|".join(VARIABLES) + r")\}")


def unfilled(text: str) -> list[str]:
    """The variables still written as ``{...}`` in ``text``, once each, in order."""
    seen: dict[str, None] = {}
    for match in PLACEHOLDER.finditer(text):
        seen.setdefault(match.group(1), None)
    return list(seen)


def fill(text: str, values: dict[str, str]) -> tuple[str, list[str]]:
    """Put the known values in; the variables without one stay as ``{...}``.

    Returns:
        The text and the variables left unfilled (the agent must type them).
    """

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1), "")
        return value if value else match.group(0)

    filled = PLACEHOLDER.sub(replace, text)
    return filled, unfilled(filled)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def variable_values(
    summary: dict[str, Any], customer: dict[str, Any], agent: str
) -> dict[str, str]:
    """The variables' values for one conversation.

    Order and tracking numbers come from what the shopper gave in this
    conversation (the handoff summary's slots and order numbers), the name and
    points from the CRM panel. The name is masked (``王*``): a reply must not
    spell out more personal data than it needs.

    Args:
        summary: The handoff summary (``slots``, ``order_numbers``).
        customer: The CRM panel's data (``customer``, ``loyalty``), maybe empty.
        agent: The agent's username.

    Returns:
        Variable → value; a variable without a value is left out.
    """
    raw_slots = summary.get("slots")
    slots: dict[str, Any] = raw_slots if isinstance(raw_slots, dict) else {}
    orders = [_text(o) for o in summary.get("order_numbers") or [] if _text(o)]
    profile = customer.get("customer") or {}
    loyalty = customer.get("loyalty") or {}
    values = {
        "姓名": mask_name(_text(profile.get("name"))),
        "订单号": _text(slots.get("order_id")) or (orders[-1] if orders else ""),
        "物流单号": _text(slots.get("tracking_number")),
        "积分": _text(loyalty.get("points_balance")),
        "客服名": agent,
    }
    return {name: value for name, value in values.items() if value}
