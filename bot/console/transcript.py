"""Tracker events as the agent reads them: who said what, pictures as pictures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from bot.console.config import CHINA
from bot.platform.media_store import IMAGE_ENTITY, IMAGE_INTENT, is_media_ref

#: What a picture line says in words (search, analytics, screen readers).
IMAGE_TEXT = "[图片]"


@dataclass(frozen=True)
class TranscriptLine:
    """One line of the transcript as the agent sees it.

    Attributes:
        index: Position of the event in the tracker (for live updates).
        who: ``shopper``, ``bot``, ``agent`` or ``system``.
        text: What was said (or what happened); ``[图片]`` for a picture.
        agent: The agent's username for ``agent`` lines.
        time: ``HH:MM`` China time.
        stamp: The event's Unix time (to place internal notes among the lines).
        image: The picture's reference (``media:<key>``) of a picture line.
    """

    index: int
    who: str
    text: str
    agent: str | None
    time: str
    stamp: float = 0.0
    image: str | None = None

    @property
    def image_key(self) -> str | None:
        """The picture's key (``<sha256>.<ext>``), the last part of its URL."""
        return self.image.removeprefix("media:") if self.image else None

    def as_json(self) -> dict[str, Any]:
        """JSON for the live updates."""
        return {
            "index": self.index,
            "who": self.who,
            "text": self.text,
            "agent": self.agent,
            "time": self.time,
            "image": self.image_key,
        }


def _clock(timestamp: Any) -> str:
    try:
        moment = datetime.fromtimestamp(float(timestamp), timezone.utc)
    except (TypeError, ValueError):
        return ""
    return moment.astimezone(CHINA).strftime("%H:%M")


def _stamp(timestamp: Any) -> float:
    try:
        return float(timestamp)
    except (TypeError, ValueError):
        return 0.0


def shopper_image(event: dict[str, Any]) -> str | None:
    """The stored picture a user event carries, or ``None``.

    Read from the parsed entities, else from the ``/send_image{…}`` text
    itself (a paused conversation still parses, but the text is the record).
    Only a well-formed reference counts: anything else stays text.
    """
    parse_data = event.get("parse_data") or {}
    for entity in parse_data.get("entities") or []:
        if isinstance(entity, dict) and entity.get("entity") == IMAGE_ENTITY:
            value = entity.get("value")
            if is_media_ref(value):
                return str(value)
    text = str(event.get("text") or "")
    prefix = f"/{IMAGE_INTENT}"
    if text.startswith(prefix + "{"):
        try:
            value = json.loads(text[len(prefix) :]).get(IMAGE_ENTITY)
        except (ValueError, AttributeError):
            return None
        if is_media_ref(value):
            return str(value)
    return None


def bot_image(event: dict[str, Any]) -> str | None:
    """The stored picture a bot event (an agent's picture) carries, or ``None``."""
    value = (event.get("data") or {}).get("image")
    return str(value) if is_media_ref(value) else None


def images_in(events: list[dict[str, Any]]) -> set[str]:
    """Every stored picture the conversation shows (its access list)."""
    found: set[str] = set()
    for event in events:
        kind = event.get("event")
        ref = (
            shopper_image(event)
            if kind == "user"
            else bot_image(event)
            if kind == "bot"
            else None
        )
        if ref is not None:
            found.add(ref)
    return found


def transcript(events: list[dict[str, Any]], start: int = 0) -> list[TranscriptLine]:
    """Turn tracker events (from index ``start``) into transcript lines."""
    lines = []
    for index, event in enumerate(events[start:], start=start):
        kind = event.get("event")
        when = _clock(event.get("timestamp"))
        stamp = _stamp(event.get("timestamp"))
        if kind == "user":
            image = shopper_image(event)
            text = IMAGE_TEXT if image else str(event.get("text") or "")
            lines.append(
                TranscriptLine(index, "shopper", text, None, when, stamp, image)
            )
        elif kind == "bot" and (event.get("text") or bot_image(event)):
            agent = (event.get("metadata") or {}).get("agent")
            who = "agent" if agent else "bot"
            image = bot_image(event)
            text = str(event.get("text") or IMAGE_TEXT)
            lines.append(TranscriptLine(index, who, text, agent, when, stamp, image))
        elif kind == "pause":
            lines.append(
                TranscriptLine(index, "system", "转人工，机器人暂停", None, when, stamp)
            )
        elif kind == "resume":
            lines.append(
                TranscriptLine(index, "system", "机器人恢复服务", None, when, stamp)
            )
    return lines
