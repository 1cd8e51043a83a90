"""What the shopper reads: fixed Chinese texts, bot messages as text, reply XML."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from wechatpy.replies import TextReply

#: Answer that tells WeChat "received, nothing to say" (it then stops retrying).
SUCCESS = "success"

CAPABILITIES = "查物流、退换货、登记保修、查积分"

UNSUPPORTED_REPLY = (
    "亲，小客暂时只能看懂文字消息哦～\n"
    f"您可以直接打字告诉我想办的事：{CAPABILITIES}。\n"
    "需要人工客服的话，回复“转人工”就好。"
)

UNRECOGNISED_VOICE_REPLY = (
    "亲，这条语音小客没能听清楚，麻烦您打字再说一遍～\n"
    f"我可以帮您{CAPABILITIES}；回复“转人工”可以联系人工客服。"
)

IMAGE_FETCH_FAILED_REPLY = (
    "抱歉亲，这张图片小客没能从微信取到，请稍后再发一次～\n"
    "着急的话回复“转人工”，客服同学帮您处理。"
)

IMAGES_OFF_REPLY = (
    "抱歉亲，小客这边暂时收不了图片，麻烦您用文字描述一下～\n"
    "需要给客服看照片的话，回复“转人工”。"
)

WELCOME_REPLY = (
    "您好，欢迎关注！我是智能客服小客～\n"
    f"我可以帮您{CAPABILITIES}，直接发消息告诉我就行。\n"
    "需要人工客服时，回复“转人工”。"
)

WARRANTY_CARD_FOLLOW = "您好，欢迎关注！我是智能客服小客～\n"
WARRANTY_CARD_SCAN = "已识别保修卡上的序列号 {serial}，马上为您登记保修。"

ERROR_REPLY = "抱歉亲，小客这边出了点小状况，请稍后再试，或回复“转人工”联系人工客服。"

MENU_HEADER = "回复数字选择："


@dataclass(frozen=True)
class OutgoingText:
    """One bot message as WeChat text.

    Attributes:
        body: The message text without its menu.
        titles: Button titles in menu order (empty without buttons).
        payloads: Button payloads in the same order.
    """

    body: str
    titles: tuple[str, ...] = field(default_factory=tuple)
    payloads: tuple[str, ...] = field(default_factory=tuple)

    @property
    def text(self) -> str:
        """What the shopper reads: the body, then the numbered menu."""
        return with_menu(self.body, self.titles)


def menu_block(titles: Sequence[str], first: int = 1) -> str:
    """The numbered menu (``回复数字选择：`` then ``1. …``), empty without titles.

    Args:
        titles: Button titles in order.
        first: The number of the first title.
    """
    if not titles:
        return ""
    lines = [f"{number}. {title}" for number, title in enumerate(titles, first)]
    return MENU_HEADER + "\n" + "\n".join(lines)


def with_menu(body: str, titles: Sequence[str]) -> str:
    """``body`` with the numbered menu of ``titles`` under it, after a blank line."""
    menu = menu_block(titles)
    if not menu:
        return body
    return f"{body.strip()}\n\n{menu}" if body.strip() else menu


def numbered_menu(text: str, buttons: Sequence[Mapping[str, Any]]) -> OutgoingText:
    """Render buttons as a numbered menu (``回复数字选择：`` then ``1. …``).

    Args:
        text: The message text (may be empty).
        buttons: Rasa buttons (``title`` and ``payload``).

    Returns:
        The message; its ``text`` has the menu under the text and its
        ``payloads`` are in the same order.
    """
    titles: list[str] = []
    payloads: list[str] = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if not title:
            continue
        titles.append(title)
        payloads.append(payload)
    if not titles:
        return OutgoingText(text)
    return OutgoingText(text.strip(), tuple(titles), tuple(payloads))


def render_bot_message(message: Mapping[str, Any]) -> OutgoingText | None:
    """Turn one collected Rasa message into WeChat text.

    Args:
        message: A dict as Rasa's collecting output channel stores it
            (``text``, ``buttons``, ``quick_replies``, ``image``, ``custom`` …).

    Returns:
        The text to send, or ``None`` when there is nothing a shopper can read.
    """
    text = str(message.get("text") or "")
    buttons = message.get("buttons") or message.get("quick_replies")
    if buttons:
        return numbered_menu(text, buttons)
    image = message.get("image")
    if image:
        # A picture needs a media upload; a link keeps the message useful.
        text = f"{text}\n{image}".strip() if text else f"图片：{image}"
    custom = message.get("custom")
    if not text and isinstance(custom, Mapping) and custom.get("text"):
        text = str(custom["text"])
    text = text.strip()
    return OutgoingText(text) if text else None


def warranty_card_preface(serial: str, *, new_follower: bool) -> OutgoingText:
    """What the shopper reads before the bot's answer to a warranty-card QR code.

    Args:
        serial: The card's serial number.
        new_follower: Whether they followed the account through the code.
    """
    text = WARRANTY_CARD_SCAN.format(serial=serial)
    return OutgoingText(WARRANTY_CARD_FOLLOW + text if new_follower else text)


def text_reply_xml(content: str, openid: str, account: str) -> str:
    """The passive text reply XML (wechatpy's ``TextReply``).

    Args:
        content: The text.
        openid: The shopper (the reply's ``ToUserName``).
        account: The Official Account (the reply's ``FromUserName``).

    Returns:
        The reply XML, to send as is or to encrypt.
    """
    reply = TextReply(
        source=account, target=openid, content=content, time=int(time.time())
    )
    return str(reply.render())
