"""Identifier formats and small request-field validators, free of HTTP."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from datetime import date
from typing import Any

from bot.backends.common.errors import InvalidInput
from bot.platform.serial_numbers import SERIAL_NUMBER_RE

# ASCII only, as in bot/backends/openapi.yaml: Python's \d alone would also take
# other scripts' digits (e.g. Arabic-Indic), which the contract refuses.
ORDER_NUMBER_RE = re.compile(r"XK[0-9]{12}")
TRACKING_NUMBER_RE = re.compile(r"(?:SF|ZT|YT|JD)[0-9]{12}|E[A-Z][0-9]{9}CN")
PHONE_RE = re.compile(r"1[3-9][0-9]{9}")
# What a caller may send (the contract's Phone pattern): 11 digits, optionally
# after +86 or 0086, with single spaces or dashes between digits.
PHONE_INPUT_RE = re.compile(r"(?:\+86|0086)?[ -]?1[3-9](?:[ -]?[0-9]){9}")
RMA_NUMBER_RE = re.compile(r"RMA[0-9]{12}")
CUSTOMER_ID_RE = re.compile(r"C[0-9]{6}")
SKU_RE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,39}")
PRODUCT_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
IDEMPOTENCY_KEY_RE = re.compile(r"[A-Za-z0-9_.:-]{8,100}")
CHANNEL_RE = re.compile(r"[a-z][a-z0-9_]{1,19}")
INTEGER_RE = re.compile(r"-?[0-9]{1,18}")
# "Blank" as the contract's `pattern: "[^ \t\n\r\f\v]"` has it: regex engines
# disagree on which other characters \s takes, so the contract names them.
BLANK = " \t\n\r\f\v"


def _normalize(value: object, pattern: re.Pattern[str], what: str, example: str) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string like {example}")
    cleaned = value.strip()
    # isascii first: str.upper() maps some letters to ASCII ones ("ſ" -> "S").
    if not cleaned.isascii() or not pattern.fullmatch(cleaned := cleaned.upper()):
        raise InvalidInput(f"{what} {value!r} is malformed; expected e.g. {example}")
    return cleaned


def order_number(value: object) -> str:
    """Validate an order number, accepting any case; return it upper-case."""
    return _normalize(value, ORDER_NUMBER_RE, "order_number", "XK202411110001")


def serial_number(value: object) -> str:
    """Validate a serial number, accepting any case; return it upper-case."""
    return _normalize(value, SERIAL_NUMBER_RE, "serial_number", "SN8H2K4M9Q1Z")


def rma_number(value: object) -> str:
    """Validate a return (RMA) number, accepting any case; return it upper-case."""
    return _normalize(value, RMA_NUMBER_RE, "rma_number", "RMA202411150001")


def customer_id(value: object) -> str:
    """Validate a customer id such as ``C100001``."""
    return _normalize(value, CUSTOMER_ID_RE, "customer_id", "C100001")


def sku(value: object) -> str:
    """Validate a SKU such as ``PH-X1-256-BLK``."""
    return _normalize(value, SKU_RE, "sku", "PH-X1-256-BLK")


def product_id(value: object) -> str:
    """Validate a catalogue product id such as ``air2``, accepting any case.

    Returns:
        The id in lower case.
    """
    if not isinstance(value, str):
        raise InvalidInput("product_id must be a string like air2")
    # isascii first: str.lower() maps some letters to ASCII ones ("K" -> "k").
    if not value.isascii() or not PRODUCT_ID_RE.fullmatch(cleaned := value.lower()):
        raise InvalidInput(f"product_id {value!r} is malformed; expected e.g. air2")
    return cleaned


def channel(value: object) -> str:
    """Validate a channel name such as ``wechat`` or ``web``."""
    if not isinstance(value, str) or not CHANNEL_RE.fullmatch(value):
        raise InvalidInput(
            "channel must be 2-20 lower-case letters/digits, e.g. wechat"
        )
    return value


def phone(value: object) -> str:
    """Validate a mainland mobile number; spaces, dashes and +86 are dropped."""
    if not isinstance(value, str):
        raise InvalidInput("phone must be a string of 11 digits like 13800138000")
    if not PHONE_INPUT_RE.fullmatch(value):
        raise InvalidInput(f"phone {value!r} is not a mainland mobile number")
    return re.sub(r"[ -]", "", value).removeprefix("+86").removeprefix("0086")


def mask_phone(number: str) -> str:
    """Mask the middle four digits of a mobile number: ``138****8000``."""
    return f"{number[:3]}****{number[-4:]}"


def idempotency_key(value: object) -> str:
    """Validate an Idempotency-Key header value (8-100 safe characters)."""
    if not isinstance(value, str) or not IDEMPOTENCY_KEY_RE.fullmatch(value):
        raise InvalidInput(
            "Idempotency-Key header is required: 8-100 characters of "
            "letters, digits, '_', '.', ':' or '-'"
        )
    return value


def require_object(
    value: object, fields: Collection[str], what: str = "request body"
) -> Mapping[str, Any]:
    """Check that a JSON value is an object with no field but ``fields``.

    Unknown fields are refused rather than ignored, so a misspelt optional field
    (``descripton``) is reported instead of silently dropped.
    """
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be a JSON object")
    unknown = sorted(str(key) for key in value if key not in fields)
    if unknown:
        raise InvalidInput(
            f"{what} has unknown field(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(fields))}"
        )
    return value


def require_str(
    body: Mapping[str, Any],
    field: str,
    *,
    max_length: int = 200,
    required: bool = True,
) -> str | None:
    """Read a string field that is not blank; it comes back without ``BLANK`` around.

    Optional ones return None when absent.
    """
    value = body.get(field)
    if value is None:
        if required:
            raise InvalidInput(f"field '{field}' is required")
        return None
    if not isinstance(value, str) or not value.strip(BLANK):
        raise InvalidInput(f"field '{field}' must be a non-empty string")
    if len(value) > max_length:
        raise InvalidInput(f"field '{field}' is longer than {max_length} characters")
    return value.strip(BLANK)


def optional_text(
    body: Mapping[str, Any], field: str, *, max_length: int
) -> str | None:
    """Read free text that may be left out: absent, null or blank all mean none.

    Returns:
        The text without surrounding whitespace, or None.
    """
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"field '{field}' must be a string")
    if len(value) > max_length:
        raise InvalidInput(f"field '{field}' is longer than {max_length} characters")
    return value.strip(BLANK) or None


def require_int(value: object, field: str, *, minimum: int, maximum: int) -> int:
    """Check that a value is an integer within bounds (booleans are refused).

    ``12.0`` counts as 12: JSON has one number type, and JSON Schema's
    ``integer`` (which the contract uses) takes any number without a fraction.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"field '{field}' must be an integer")
    if not minimum <= value <= maximum:
        raise InvalidInput(
            f"field '{field}' must be between {minimum} and {maximum}, got {value}"
        )
    return value


def parse_int(
    raw: str | None, field: str, *, default: int, minimum: int, maximum: int
) -> int:
    """Parse an integer query parameter with bounds; absent means the default.

    ``?limit=`` (present but empty) is not an integer, so it is refused.
    """
    if raw is None:
        return default
    # Plain ASCII digits: int() alone would take " 5", "1_0" and other scripts' digits.
    if not INTEGER_RE.fullmatch(raw):
        raise InvalidInput(f"parameter '{field}' must be an integer")
    return require_int(int(raw), field, minimum=minimum, maximum=maximum)


def parse_date(value: object, field: str) -> date:
    """Parse a ``YYYY-MM-DD`` date."""
    if not isinstance(value, str):
        raise InvalidInput(f"field '{field}' must be a date like 2024-11-11")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            f"field '{field}' must be a date like 2024-11-11, got {value!r}"
        ) from None


def choice(value: object, field: str, allowed: tuple[str, ...]) -> str:
    """Check that a value is one of the allowed strings."""
    if value not in allowed:
        raise InvalidInput(f"field '{field}' must be one of {', '.join(allowed)}")
    return str(value)
