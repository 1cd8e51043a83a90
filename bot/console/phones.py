"""The shopper's phone as staff may search it: masked (``138****5678``)."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.platform.masking import MOBILE, mask_phone

#: What an agent types to search: a masked or full mobile, or its last digits.
_MASKED = re.compile(r"^(1[3-9]\d)[*＊]{4}(\d{4})$")
_FULL = re.compile(r"^1[3-9]\d{9}$")
_TAIL = re.compile(r"^\d{4}$")


def phone_hint(summary: Any) -> str | None:
    """The masked phone a handoff summary mentions (a slot, else the text).

    Args:
        summary: The handoff summary the action server sent.
    """
    if not isinstance(summary, dict):
        return None
    slots = summary.get("slots")
    places = [str(slots.get("phone") or "") if isinstance(slots, dict) else ""]
    places.append(json.dumps(summary, ensure_ascii=False))
    for text in places:
        found = MOBILE.search(text)
        if found:
            return mask_phone(found.group())
    return None


def phone_query(text: str) -> tuple[str, str] | None:
    """How to match what was typed: ``("exact", masked)`` or ``("tail", digits)``.

    ``138****5678`` and ``13812345678`` match that masked phone; four digits
    match phones ending in them. Anything else is ``None`` (not a phone).
    """
    typed = re.sub(r"[\s\-]", "", text)
    masked = _MASKED.match(typed)
    if masked:
        return "exact", f"{masked.group(1)}****{masked.group(2)}"
    if _FULL.match(typed):
        return "exact", mask_phone(typed)
    if _TAIL.match(typed):
        return "tail", typed
    return None
