"""What the shopper reads on 微信客服 besides the bot's own answers."""

from __future__ import annotations

CAPABILITIES = "查物流、退换货、登记保修、查积分"

WELCOME = (
    "您好，我是智能客服小客～\n"
    f"我可以帮您{CAPABILITIES}，直接发消息告诉我就行。\n"
    "需要人工客服时，回复“转人工”。"
)

TEXT_ONLY = (
    "亲，小客暂时只能看懂文字消息哦～\n"
    f"您可以直接打字告诉我想办的事：{CAPABILITIES}。\n"
    "需要人工客服的话，回复“转人工”就好。"
)

ERROR = "抱歉亲，小客这边出了点小状况，请稍后再试，或回复“转人工”联系人工客服。"

#: ``kf/send_msg`` takes at most 2048 bytes of text; keep a margin.
MAX_TEXT_BYTES = 2000


def join_turn(texts: list[str], limit: int = MAX_TEXT_BYTES) -> list[str]:
    """Join a turn's texts into as few messages as fit ``limit`` UTF-8 bytes.

    Messages are joined with a blank line; one longer than ``limit`` is cut at
    character boundaries.

    Args:
        texts: The turn's texts, in order.
        limit: Largest message in bytes.

    Returns:
        The messages to send, in order.
    """
    pieces: list[str] = []
    for text in texts:
        text = text.strip()
        while len(text.encode("utf-8")) > limit:
            cut = len(text.encode("utf-8")[:limit].decode("utf-8", "ignore"))
            pieces.append(text[:cut])
            text = text[cut:]
        if text:
            pieces.append(text)
    joined: list[str] = []
    for piece in pieces:
        if joined and len(f"{joined[-1]}\n\n{piece}".encode()) <= limit:
            joined[-1] = f"{joined[-1]}\n\n{piece}"
        else:
            joined.append(piece)
    return joined
