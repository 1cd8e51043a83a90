"""A turn's bot messages as few WeChat texts as fit: one passive reply when possible.

A passive reply carries one text message, and WeChat cuts or refuses text
longer than 2048 bytes; customer-service messages cost a quota the agents need
during a handoff (45047 past it). So a turn's texts are joined, a blank line
apart, with every button of the turn in one numbered menu at the end, and cut
into several parts only when the whole does not fit (between messages, else
between lines, else between characters; the menu stays with the text above it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from bot.wechat.config import DEFAULT_PASSIVE_LIMIT as PASSIVE_LIMIT
from bot.wechat.replies import OutgoingText, menu_block

#: Between two bot messages inside one WeChat text.
SEPARATOR = "\n\n"


@dataclass(frozen=True)
class ComposedAnswer:
    """A turn's answer as WeChat texts.

    Attributes:
        parts: The texts in order, each within the limit; the first is the
            passive reply when the answer is on time, the rest go through the
            customer-service API. Empty when the bot said nothing readable.
        payloads: The payloads of the menu at the end of the last part, in
            menu order (empty without buttons).
    """

    parts: tuple[str, ...] = field(default_factory=tuple)
    payloads: tuple[str, ...] = field(default_factory=tuple)


def utf8_size(text: str) -> int:
    """The size of ``text`` in UTF-8 bytes (WeChat counts bytes, not characters)."""
    return len(text.encode("utf-8"))


def compose(
    messages: Sequence[OutgoingText], limit: int = PASSIVE_LIMIT
) -> ComposedAnswer:
    """Join a turn's messages into as few texts of at most ``limit`` bytes as fit.

    Args:
        messages: The turn's bot messages, in order.
        limit: Largest text in UTF-8 bytes.

    Returns:
        The texts and the payloads their menu numbers stand for.

    Raises:
        ValueError: ``limit`` is too small to hold a single character.
    """
    if limit < 4:
        raise ValueError(
            f"a WeChat text limit of {limit} bytes cannot hold a character"
        )
    units = [message.body.strip() for message in messages if message.body.strip()]
    titles = [title for message in messages for title in message.titles]
    payloads = tuple(payload for message in messages for payload in message.payloads)
    menu = menu_block(titles)
    if menu:
        # The menu stays with the text just above it (usually its question).
        units[-1:] = [SEPARATOR.join([*units[-1:], menu])]
    return ComposedAnswer(tuple(_pack(units, limit)), payloads)


def _pack(units: Iterable[str], limit: int) -> list[str]:
    """Greedily fill texts with whole units, cutting only units that are too big."""
    parts: list[str] = []
    current: str | None = None
    for unit in units:
        for piece in cut(unit, limit):
            if current is None:
                current = piece
            elif utf8_size(current + SEPARATOR + piece) <= limit:
                current += SEPARATOR + piece
            else:
                parts.append(current)
                current = piece
    if current is not None:
        parts.append(current)
    return parts


def cut(text: str, limit: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` bytes, between lines if possible.

    Args:
        text: One message.
        limit: Largest piece in UTF-8 bytes.

    Returns:
        The pieces in order; ``[text]`` when it fits. A line longer than the
        limit is cut between characters.
    """
    if utf8_size(text) <= limit:
        return [text]
    pieces: list[str] = []
    lines: list[str] = []
    for line in text.split("\n"):
        for chunk in _cut_line(line, limit):
            if lines and utf8_size("\n".join([*lines, chunk])) > limit:
                pieces.append("\n".join(lines).strip("\n"))
                lines = []
            lines.append(chunk)
    if lines:
        pieces.append("\n".join(lines).strip("\n"))
    return [piece for piece in pieces if piece]


def _cut_line(line: str, limit: int) -> list[str]:
    """A single line in chunks of at most ``limit`` bytes, between characters."""
    if utf8_size(line) <= limit:
        return [line]
    chunks: list[str] = []
    start = 0
    size = 0
    for index, character in enumerate(line):
        width = utf8_size(character)
        if size + width > limit:
            chunks.append(line[start:index])
            start, size = index, 0
        size += width
    chunks.append(line[start:])
    return chunks
