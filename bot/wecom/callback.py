"""Safe XML reading of the callback: the envelope and the ``kf_msg_or_event`` event.

Every document is parsed by defusedxml with DTDs, entities and external
references forbidden (billion laughs, XXE), as the Official Account channel does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException

from bot.wecom.crypto import CallbackCrypto
from bot.wecom.errors import MalformedCallback

KF_EVENT = "kf_msg_or_event"


@dataclass(frozen=True)
class KfCallback:
    """A verified ``kf_msg_or_event`` callback: "messages are waiting, pull them".

    Attributes:
        corp_id: ``ToUserName``.
        open_kfid: ``OpenKfId``, the kf account with new messages.
        token: ``Token``, lets ``kf/sync_msg`` pull without a rate limit (10 min).
        create_time: ``CreateTime``.
    """

    corp_id: str
    open_kfid: str
    token: str
    create_time: int


def xml_fields(document: bytes | str) -> dict[str, str]:
    """The text of the root's direct children, parsed safely.

    Raises:
        MalformedCallback: Unsafe, not well-formed, or not rooted at ``<xml>``.
    """
    try:
        root: Element = SafeElementTree.fromstring(
            document, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as error:
        raise MalformedCallback(f"unsafe XML: {type(error).__name__}") from error
    except (ParseError, ValueError) as error:
        raise MalformedCallback("malformed XML") from error
    if root.tag != "xml":
        raise MalformedCallback(f"unexpected root element <{root.tag}>")
    return {child.tag: (child.text or "") for child in root}


def open_callback(
    crypto: CallbackCrypto, params: Mapping[str, str], body: bytes, max_body: int
) -> KfCallback | None:
    """Verify, decrypt and read a callback ``POST``.

    Args:
        crypto: The channel's crypto.
        params: The query parameters (``msg_signature``, ``timestamp``, ``nonce``).
        body: The raw body.
        max_body: Largest accepted body in bytes.

    Returns:
        The kf callback, or ``None`` for another (verified) event kind.

    Raises:
        RequestRejected: Any check failed (the subclass says which).
    """
    if len(body) > max_body:
        raise MalformedCallback(f"body of {len(body)} bytes")
    encrypted = xml_fields(body).get("Encrypt", "")
    if not encrypted:
        raise MalformedCallback("Encrypt missing")
    inner = xml_fields(
        crypto.open(
            params.get("msg_signature", ""),
            params.get("timestamp", ""),
            params.get("nonce", ""),
            encrypted,
        )
    )
    if inner.get("MsgType", "").lower() != "event":
        return None
    if inner.get("Event", "").lower() != KF_EVENT:
        return None
    open_kfid = inner.get("OpenKfId", "").strip()
    if not open_kfid:
        raise MalformedCallback("OpenKfId missing")
    try:
        create_time = int(inner.get("CreateTime") or 0)
    except ValueError as error:
        raise MalformedCallback("CreateTime is not a number") from error
    return KfCallback(
        corp_id=inner.get("ToUserName", ""),
        open_kfid=open_kfid,
        token=inner.get("Token", "").strip(),
        create_time=create_time,
    )
