"""Read positive numbers from the environment: one parse, one message.

Unset or blank is the default; anything else must parse (surrounding spaces
allowed) and be above zero, or :class:`SettingError` names the variable and
the value found. Each package decides what a refused value means: the WeChat
channel and the analytics consumer refuse to start (with their own error), the
message cap falls back to its default with a warning.
"""

from __future__ import annotations

from collections.abc import Mapping


class SettingError(ValueError):
    """An environment variable holds a value its setting cannot take.

    Attributes:
        name: The variable.
        raw: Its value as found.
    """

    def __init__(self, name: str, raw: str, expected: str) -> None:
        super().__init__(f"{name} must be {expected}, got {raw!r}")
        self.name = name
        self.raw = raw


def positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    """The whole number in ``environ[name]``, at least 1; ``default`` if unset or blank.

    Raises:
        SettingError: Not a whole number, or below 1.
    """
    raw = environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise SettingError(name, raw, "a whole number of at least 1")
    return value


def positive_float(environ: Mapping[str, str], name: str, default: float) -> float:
    """The number in ``environ[name]``, above 0; ``default`` if unset or blank.

    Raises:
        SettingError: Not a number, or not above 0.
    """
    raw = environ.get(name, "")
    if not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise SettingError(name, raw, "a positive number")
    return value
