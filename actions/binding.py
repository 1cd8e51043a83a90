"""The shopper a conversation may see: the CRM's binding for its channel identity.

The ``customer_id`` slot only remembers who verified. Before an action shows or
changes a customer's data it asks the CRM who is bound to this conversation's
channel identity now (``wechat``/``web``/``rest`` + the channel's own id, from
the conversation id: :mod:`bot.platform.conversation_ids`), so an identity that
was unbound, or bound to someone else, stops seeing the old customer's data at
once. One lookup per turn: the answer is kept for the turn (the shopper's
latest message) in this process.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from rasa_sdk import Tracker

from actions.clients.errors import NotFound
from actions.common import crm_client
from bot.platform.conversation_ids import ChannelIdentity, identity_of

CUSTOMER_SLOT = "customer_id"
#: Turns remembered per process, and for how long (a turn lasts seconds).
_CACHE_SIZE = 4096
_CACHE_SECONDS = 120.0
_bindings: OrderedDict[tuple[str, str], tuple[float, str | None]] = OrderedDict()


def channel_identity(tracker: Tracker) -> ChannelIdentity:
    """The channel identity a conversation belongs to (from its id).

    Args:
        tracker: The conversation.

    Returns:
        E.g. ``ChannelIdentity("wechat", "o6_bmj…")`` for ``wechat:o6_bmj…``.
    """
    return identity_of(tracker.sender_id)


async def bound_customer(tracker: Tracker) -> str | None:
    """The customer the CRM binds this conversation's identity to (this turn).

    Args:
        tracker: The conversation.

    Returns:
        The customer id, or ``None`` when the identity is not bound.

    Raises:
        BackendError: The CRM could not answer (not cached).
    """
    key = (tracker.sender_id, _turn_of(tracker))
    now = time.monotonic()
    cached = _bindings.get(key)
    if cached is not None and now - cached[0] < _CACHE_SECONDS:
        return cached[1]
    identity = channel_identity(tracker)
    try:
        customer = await crm_client().find_customer_by_identity(
            identity.channel, identity.local_id
        )
        customer_id: str | None = customer["customer_id"]
    except NotFound:
        customer_id = None
    remember_binding(tracker, customer_id)
    return customer_id


def remember_binding(tracker: Tracker, customer_id: str | None) -> None:
    """Keep ``customer_id`` as this turn's binding (e.g. just verified).

    Args:
        tracker: The conversation.
        customer_id: Who is bound now (``None``: nobody).
    """
    _bindings[(tracker.sender_id, _turn_of(tracker))] = (time.monotonic(), customer_id)
    while len(_bindings) > _CACHE_SIZE:
        _bindings.popitem(last=False)


async def verified_customer(tracker: Tracker) -> str | None:
    """The ``customer_id`` slot, if the CRM still binds it to this conversation.

    Args:
        tracker: The conversation.

    Returns:
        The slot's customer id when it is the current binding, else ``None``
        (no slot, unbound, or bound to another customer).

    Raises:
        BackendError: The CRM could not answer.
    """
    remembered = tracker.get_slot(CUSTOMER_SLOT)
    if not remembered:
        return None
    return remembered if await bound_customer(tracker) == remembered else None


def forget_bindings() -> None:
    """Forget every remembered turn (tests)."""
    _bindings.clear()


def _turn_of(tracker: Tracker) -> str:
    """An id of the shopper's latest message: its message id, else its time."""
    message_id = tracker.latest_message.get("message_id")
    if message_id:
        return str(message_id)
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return str(event.get("timestamp"))
    return ""
