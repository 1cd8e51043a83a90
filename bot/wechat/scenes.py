"""Parametric QR-code scenes: which warranty card a follow or a scan came from.

A warranty card carries a permanent QR code whose scene string is
``warranty:<serial number>``. WeChat reports a follow through such a code as a
``subscribe`` event with ``EventKey`` ``qrscene_<scene>`` and a scan by a
follower as a ``SCAN`` event with ``EventKey`` ``<scene>``. Anything else (no
scene, another prefix, a malformed or oversized serial) is not a warranty card.
"""

from __future__ import annotations

import json

from bot.platform.serial_numbers import normalize_serial_number

#: The scene string's prefix on warranty cards.
WARRANTY_PREFIX = "warranty:"
#: What WeChat puts before the scene in a follow's ``EventKey``.
SUBSCRIBE_PREFIX = "qrscene_"
#: WeChat's longest ``scene_str`` (1 to 64 characters).
MAX_SCENE_LENGTH = 64
#: The intent, entity and slot that start warranty registration (``domain.yml``).
REGISTER_WARRANTY = "register_warranty"
SERIAL_NUMBER = "serial_number"


def scene_of(event: str | None, event_key: str | None) -> str | None:
    """The QR-code scene a ``subscribe`` or ``SCAN`` event came with.

    Args:
        event: The event name in lower case (``subscribe``, ``scan`` …).
        event_key: The event's ``EventKey``.

    Returns:
        The scene string, or ``None`` for other events, a follow without a QR
        code, and keys longer than any scene.
    """
    key = (event_key or "").strip()
    if event == "subscribe":
        if not key.startswith(SUBSCRIBE_PREFIX):
            return None
        key = key[len(SUBSCRIBE_PREFIX) :]
    elif event != "scan":
        return None
    if not key or len(key) > MAX_SCENE_LENGTH:
        return None
    return key


def warranty_serial(scene: str | None) -> str | None:
    """The serial number of a warranty card's scene, or ``None`` if it is not one.

    Args:
        scene: A scene string (``warranty:SN3F7T1W6B2X``).

    Returns:
        The serial number, upper-cased, when the scene has the warranty prefix
        and a serial of the project's format; otherwise ``None``.
    """
    if not scene or len(scene) > MAX_SCENE_LENGTH:
        return None
    prefix, separator, serial = scene.partition(":")
    if not separator or f"{prefix.lower()}:" != WARRANTY_PREFIX:
        return None
    return normalize_serial_number(serial)


def warranty_scene(serial: str) -> str:
    """The scene string for a warranty card.

    Args:
        serial: A serial number.

    Returns:
        ``warranty:<serial>``, the serial upper-cased.

    Raises:
        ValueError: ``serial`` is not a serial number.
    """
    normalized = normalize_serial_number(serial)
    if normalized is None:
        raise ValueError(f"not a serial number: {serial!r}")
    return WARRANTY_PREFIX + normalized


def register_warranty_message(serial: str) -> str:
    """The message that starts warranty registration with the serial filled in.

    Args:
        serial: A validated serial number.

    Returns:
        ``/register_warranty{"serial_number": "SN…"}``, Rasa's intent syntax.
    """
    entities = json.dumps({SERIAL_NUMBER: serial}, ensure_ascii=False)
    return f"/{REGISTER_WARRANTY}{entities}"
