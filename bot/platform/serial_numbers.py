"""The product serial-number format (warranty cards), shared by every package."""

from __future__ import annotations

import re

#: ``SN`` and ten upper-case ASCII letters or digits, e.g. ``SN3F7T1W6B2X``
#: (``bot/backends/openapi.yaml``: ``SerialNumber``).
SERIAL_NUMBER_RE = re.compile(r"SN[A-Z0-9]{10}")


def normalize_serial_number(value: object) -> str | None:
    """The serial number in ``value``, upper-cased, or ``None`` if it is not one.

    Surrounding spaces and lower case are accepted; anything else is not.

    Args:
        value: What was given (a slot value, a QR-code scene, a command argument).

    Returns:
        The serial number, e.g. ``SN3F7T1W6B2X``, or ``None``.
    """
    if not isinstance(value, str):
        return None
    cleaned = value.strip()
    # isascii first: str.upper() maps some letters to ASCII ones ("ſ" -> "S").
    if not cleaned.isascii():
        return None
    cleaned = cleaned.upper()
    return cleaned if SERIAL_NUMBER_RE.fullmatch(cleaned) else None
