"""Safe XML reading and the incoming-message model (wechatpy's parser underneath).

Every document is first parsed by defusedxml with DTDs forbidden, so entity
expansion (billion laughs) and external entities (XXE) never reach wechatpy's
xmltodict-based parser.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum
from xml.etree.ElementTree import Element, ParseError

import defusedxml.ElementTree as SafeElementTree
from defusedxml import DefusedXmlException
from wechatpy import parse_message as wechatpy_parse_message
from wechatpy.messages import TextMessage, VoiceMessage

from bot.wechat.errors import MalformedMessage, UnsafeXml


class MessageKind(str, Enum):
    """What the channel does with a message."""

    TEXT = "text"  # text, or voice with a recognition result: goes to the bot
    UNRECOGNISED_VOICE = "unrecognised_voice"  # voice WeChat could not transcribe
    EVENT = "event"  # subscribe, CLICK and other pushes
    IMAGE = "image"  # a picture: fetched by MediaId, stored, sent to the bot
    UNSUPPORTED = "unsupported"  # location, link, video, unknown types


@dataclass(frozen=True)
class IncomingMessage:
    """One callback from WeChat, reduced to what the channel needs.

    Attributes:
        kind: How to handle it.
        openid: ``FromUserName``: the shopper, stable per Official Account.
        account: ``ToUserName``: the Official Account's original ID.
        create_time: ``CreateTime`` (Unix seconds).
        msg_type: ``MsgType`` in lower case.
        msg_id: ``MsgId`` for messages, ``None`` for events.
        text: The text (or voice transcription) for ``TEXT``.
        event: The event name in lower case (``subscribe``, ``click`` …).
        event_key: ``EventKey`` of menu and scan events.
        media_id: ``MediaId`` of an image (valid 3 days for ``media/get``).
        pic_url: ``PicUrl`` of an image (logged only: ``media/get`` is the
            authenticated way to the same picture).
    """

    kind: MessageKind
    openid: str
    account: str
    create_time: int
    msg_type: str
    msg_id: int | None = None
    text: str | None = None
    event: str | None = None
    event_key: str | None = None
    media_id: str | None = None
    pic_url: str | None = None

    @property
    def dedup_key(self) -> str:
        """WeChat's rule: MsgId for messages, FromUserName + CreateTime for events."""
        if self.msg_id:
            return f"msg:{self.msg_id}"
        return f"event:{self.openid}:{self.create_time}"


def parse_xml_safely(document: bytes | str) -> Element:
    """Parse XML with DTDs, entities and external references forbidden.

    Args:
        document: The XML text.

    Returns:
        The root element.

    Raises:
        UnsafeXml: The document declares a DTD or entities.
        MalformedMessage: The document is not well-formed XML.
    """
    try:
        root: Element = SafeElementTree.fromstring(
            document, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as error:
        raise UnsafeXml(f"unsafe XML: {type(error).__name__}") from error
    except (ParseError, ValueError) as error:
        raise MalformedMessage("malformed XML") from error
    if root.tag != "xml":
        raise MalformedMessage(f"unexpected root element <{root.tag}>")
    return root


def envelope_fields(root: Element) -> dict[str, str]:
    """The text of the root's direct children (``Encrypt``, ``ToUserName`` …)."""
    return {child.tag: (child.text or "") for child in root}


def parse_message(document: str) -> IncomingMessage:
    """Parse a (decrypted) message or event.

    Args:
        document: The plaintext message XML.

    Returns:
        The message; unknown types become ``UNSUPPORTED``, never an error.

    Raises:
        UnsafeXml: See :func:`parse_xml_safely`.
        MalformedMessage: Not XML, or without ``MsgType`` / ``FromUserName``.
    """
    fields = envelope_fields(parse_xml_safely(document))
    if not fields.get("MsgType") or not fields.get("FromUserName"):
        raise MalformedMessage("MsgType or FromUserName missing")
    try:
        message = wechatpy_parse_message(document)
        create_time = int(fields.get("CreateTime") or 0)
        msg_id = int(fields["MsgId"]) if fields.get("MsgId") else None
    except (KeyError, ValueError, TypeError) as error:
        raise MalformedMessage(f"unreadable message: {error}") from error
    # location, link, video, shortvideo, file or an UnknownMessage stay so
    base = IncomingMessage(
        kind=MessageKind.UNSUPPORTED,
        openid=fields["FromUserName"],
        account=fields.get("ToUserName", ""),
        create_time=create_time,
        msg_type=fields["MsgType"].lower(),
        msg_id=msg_id,
    )
    if isinstance(message, TextMessage):
        return replace(base, kind=MessageKind.TEXT, text=message.content or "")
    if isinstance(message, VoiceMessage):
        recognition = (message.recognition or "").strip()
        if recognition:
            return replace(base, kind=MessageKind.TEXT, text=recognition)
        return replace(base, kind=MessageKind.UNRECOGNISED_VOICE)
    if base.msg_type == "image" and fields.get("MediaId"):
        return replace(
            base,
            kind=MessageKind.IMAGE,
            media_id=fields["MediaId"],
            pic_url=fields.get("PicUrl") or None,
        )
    if base.msg_type == "event":
        # The raw Event, not wechatpy's refinement: a QR-code subscribe
        # (``subscribe_scan`` there) is still a subscribe for us.
        return replace(
            base,
            kind=MessageKind.EVENT,
            event=(fields.get("Event") or "").lower(),
            event_key=fields.get("EventKey"),
        )
    return base
