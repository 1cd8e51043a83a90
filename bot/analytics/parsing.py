"""Turn a message of the event broker's queue into an ``analytics_events`` row.

The message body is the event dict (``Event.as_dict()``) plus a ``sender_id``
key, as Rasa's ``PikaEventBroker`` publishes it; the row has the layout of
Rasa's SQL tracker store (``sender_id`` kept in its column, not in ``data``).
"""

from __future__ import annotations

import json
from typing import Any

from bot.analytics.events import row_values

MAX_NAME_LENGTH = 255  # the VARCHAR(255) columns of Rasa's table
_NAME_COLUMNS = ("sender_id", "type_name", "intent_name", "action_name")


class MalformedMessage(ValueError):
    """A queue message that is not a Rasa event with a ``sender_id``."""


def parse_message(body: bytes) -> tuple[str, dict[str, Any]]:
    """The conversation id and the event (without ``sender_id``) of a message.

    Raises:
        MalformedMessage: The body is not a JSON event with a ``sender_id``.
    """
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise MalformedMessage(f"not JSON ({type(error).__name__})") from None
    if not isinstance(data, dict):
        raise MalformedMessage(f"a JSON {type(data).__name__}, not an object")
    event = dict(data)
    sender_id = event.pop("sender_id", None)
    kind = event.get("event")
    if not isinstance(sender_id, str) or not sender_id:
        raise MalformedMessage("no sender_id")
    if not isinstance(kind, str) or not kind:
        raise MalformedMessage("no event type")
    if len(sender_id) > MAX_NAME_LENGTH or len(kind) > MAX_NAME_LENGTH:
        raise MalformedMessage("sender_id or event type too long")
    return sender_id, event


def message_row(body: bytes) -> dict[str, Any]:
    """The ``analytics_events`` row of a message, checked to fit the table.

    One bad row would fail its whole batch, and a row the driver cannot even
    send (a NUL character, an object as action name) would fail it on every
    retry, so such messages are refused here, before the database.

    Raises:
        MalformedMessage: The message is not an event, or its row would not fit.
    """
    row = row_values(*parse_message(body))
    for column in _NAME_COLUMNS:
        value = row[column]
        if value is None:
            continue
        if not isinstance(value, str):
            raise MalformedMessage(f"{column} is a {type(value).__name__}")
        if len(value) > MAX_NAME_LENGTH:
            raise MalformedMessage(f"{column} too long")
        if "\x00" in value:
            raise MalformedMessage(f"a NUL character in {column}")
    try:
        for column in (*_NAME_COLUMNS, "data"):
            if row[column] is not None:
                row[column].encode("utf-8")
    except UnicodeEncodeError:
        raise MalformedMessage(f"{column} is not valid Unicode") from None
    return row
