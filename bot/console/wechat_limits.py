"""WeChat's sending limits for a conversation: the 48-hour window, messages left.

Pure functions over the transcript, no I/O. After a shopper's message WeChat
lets the account send customer-service messages for 48 hours, and only a few:
an Official Account 5 per shopper message since June 2023 (45015 once the
window has closed, 45047 past the count), 微信客服 5 as well (95002, 95001).
Every agent line after the shopper's last message went through that API; the
bot's answers before the handoff were mostly passive replies (free), so the
count shown is what the agents used, and WeChat may have counted a late bot
answer too: the figure is the most that can be left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

#: How long after the shopper's last message the account may still write.
WINDOW = timedelta(hours=48)
#: Messages allowed per shopper message, by console channel.
QUOTAS = {"wechat": 5, "wecom": 5}
#: What a refusal is called on each channel (shown beside the figures).
CODES = {"wechat": "45015/45047", "wecom": "95002/95001"}


@dataclass(frozen=True)
class SendLimits:
    """What the agents may still send to a WeChat shopper.

    Attributes:
        channel: ``wechat`` (Official Account) or ``wecom`` (微信客服).
        last_shopper_at: The shopper's last message (aware UTC), if any.
        window_ends: When the 48-hour window closes (``None``: never opened).
        quota: Messages allowed per shopper message.
        used: Agent messages sent since the shopper's last message.
    """

    channel: str
    last_shopper_at: datetime | None
    window_ends: datetime | None
    quota: int
    used: int

    @property
    def left(self) -> int:
        """Messages that may still be sent (never below zero)."""
        return max(0, self.quota - self.used)

    def is_open(self, now: datetime) -> bool:
        """Whether the 48-hour window is still open at ``now``."""
        return self.window_ends is not None and now < self.window_ends

    def as_json(self, now: datetime) -> dict[str, Any]:
        """For the page and its script (the deadline in epoch milliseconds)."""
        return {
            "channel": self.channel,
            "window_ends": (
                int(self.window_ends.timestamp() * 1000) if self.window_ends else None
            ),
            "open": self.is_open(now),
            "quota": self.quota,
            "used": self.used,
            "left": self.left if self.is_open(now) else 0,
            "codes": CODES[self.channel],
        }


def send_limits(channel: str, lines: list[tuple[str, float]]) -> SendLimits | None:
    """The limits of a conversation from its transcript's ``(who, unix time)``.

    Args:
        channel: The console's channel name; only WeChat ones have limits.
        lines: Transcript lines in order (``shopper``, ``agent``, ``bot`` …).

    Returns:
        ``None`` for channels WeChat does not limit (web chat, REST).
    """
    if channel not in QUOTAS:
        return None
    last: float | None = None
    used = 0
    for who, stamp in lines:
        if who == "shopper":
            last, used = stamp, 0
        elif who == "agent" and last is not None:
            used += 1
    moment = None if last is None else datetime.fromtimestamp(last, timezone.utc)
    return SendLimits(
        channel=channel,
        last_shopper_at=moment,
        window_ends=None if moment is None else moment + WINDOW,
        quota=QUOTAS[channel],
        used=used,
    )
