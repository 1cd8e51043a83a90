"""Menu CLICK events and numbered-menu answers, mapped to messages for the bot."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence


def click_payload(menu: Mapping[str, str], event_key: str | None) -> str | None:
    """The bot message for a menu CLICK, or ``None`` for an unmapped key.

    Args:
        menu: ``EventKey`` → message (usually an intent payload).
        event_key: The event's ``EventKey``.
    """
    if not event_key:
        return None
    return menu.get(event_key.strip())


def pick_from_menu(text: str, payloads: Sequence[str]) -> str | None:
    """Map a reply that is just a menu number to that button's payload.

    Full-width digits count (``２``), surrounding spaces and a trailing full
    stop are ignored; anything else is not a menu choice.

    Args:
        text: What the shopper sent.
        payloads: The last menu's payloads, in displayed order.

    Returns:
        The chosen payload, or ``None``.
    """
    if not payloads:
        return None
    cleaned = unicodedata.normalize("NFKC", text).strip().rstrip(".。")
    if not cleaned.isascii() or not cleaned.isdigit():
        return None
    number = int(cleaned)
    if 1 <= number <= len(payloads):
        return payloads[number - 1]
    return None
