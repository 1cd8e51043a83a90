"""Messages ``kf/sync_msg`` returns, reduced to what the channel needs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Any


class Origin(IntEnum):
    """Who a message comes from (``origin``)."""

    CUSTOMER = 3  # 微信客户发送的消息
    SYSTEM = 4  # 系统推送的事件消息
    SERVICER = 5  # 接待人员在企业微信客户端发送的消息


class KfKind(str, Enum):
    """What the channel does with a message."""

    TEXT = "text"  # goes to the bot
    IMAGE = "image"  # a picture: fetched by media_id, stored, put to the bot
    MEDIA = "media"  # voice, video …: "text only for now"
    ENTER_SESSION = "enter_session"  # the shopper opened the chat: welcome
    SESSION_CHANGE = "session_status_change"  # a person took, passed or ended it
    OTHER = "other"  # anything else: logged, ignored


#: Media kinds answered with "text only for now" (an image with a media_id is taken).
MEDIA_TYPES = frozenset({"image", "voice", "video", "file", "location", "link"})


@dataclass(frozen=True)
class KfMessage:
    """One message or event from ``kf/sync_msg``.

    Attributes:
        msgid: The platform's message id (dedup key).
        open_kfid: The kf account.
        external_userid: The shopper (empty for some system events).
        origin: 3 customer, 4 system event, 5 servicer.
        msgtype: ``text``, ``image``, ``voice``, ``event`` …
        kind: How the channel handles it.
        send_time: Unix seconds.
        text: The text of ``TEXT``.
        welcome_code: Of ``enter_session`` (valid 20 s, once), may be empty.
        change_type: Of ``session_status_change`` (3: the session ended).
        media_id: Of ``IMAGE`` (``media/get``, valid three days).
    """

    msgid: str
    open_kfid: str
    external_userid: str
    origin: int
    msgtype: str
    kind: KfKind
    send_time: int = 0
    text: str = ""
    welcome_code: str = ""
    change_type: int = 0
    media_id: str = ""


def _event_fields(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    event = raw.get("event")
    return event if isinstance(event, Mapping) else {}


def parse_kf_message(raw: Mapping[str, Any]) -> KfMessage | None:
    """One entry of ``msg_list``; ``None`` when it lacks an id (skipped).

    Unknown message and event types become ``OTHER``, never an error.
    """
    msgid = str(raw.get("msgid") or "").strip()
    if not msgid:
        return None
    msgtype = str(raw.get("msgtype") or "").lower()
    event = _event_fields(raw)
    external = str(raw.get("external_userid") or event.get("external_userid") or "")
    open_kfid = str(raw.get("open_kfid") or event.get("open_kfid") or "")
    try:
        origin = int(raw.get("origin") or 0)
        send_time = int(raw.get("send_time") or 0)
        change_type = int(event.get("change_type") or 0)
    except (TypeError, ValueError):
        return None
    kind = KfKind.OTHER
    text = ""
    welcome_code = ""
    media_id = ""
    if msgtype == "text" and origin == Origin.CUSTOMER:
        content = raw.get("text")
        text = str(content.get("content") or "") if isinstance(content, Mapping) else ""
        kind = KfKind.TEXT if text.strip() else KfKind.OTHER
    elif msgtype in MEDIA_TYPES and origin == Origin.CUSTOMER:
        content = raw.get(msgtype)
        if isinstance(content, Mapping) and msgtype == "image":
            media_id = str(content.get("media_id") or "")
        kind = KfKind.IMAGE if media_id else KfKind.MEDIA
    elif msgtype == "event":
        event_type = str(event.get("event_type") or "").lower()
        if event_type == KfKind.ENTER_SESSION.value:
            kind = KfKind.ENTER_SESSION
            welcome_code = str(event.get("welcome_code") or "")
        elif event_type == KfKind.SESSION_CHANGE.value:
            kind = KfKind.SESSION_CHANGE
    return KfMessage(
        msgid=msgid,
        open_kfid=open_kfid,
        external_userid=external,
        origin=origin,
        msgtype=msgtype,
        kind=kind,
        send_time=send_time,
        text=text,
        welcome_code=welcome_code,
        change_type=change_type,
        media_id=media_id,
    )
