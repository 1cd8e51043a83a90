"""Long transcripts in pages: the newest lines first, earlier ones on demand.

The cursor is a transcript line's event index (stable: Rasa only appends).
Internal notes go with the page whose time range holds them; a note stamped
like a line goes after it (``merged``), so it belongs to that line's page.
"""

from __future__ import annotations

from datetime import timezone
from typing import TypeVar

from bot.console.service import TranscriptLine
from bot.console.workbench import Note

#: Lines shown when a conversation opens, and per 加载更早的消息.
PAGE_LINES = 50
#: The most lines one request may ask for.
MAX_PAGE_LINES = 200
_Line = TypeVar("_Line", bound=TranscriptLine)


def _stamp(note: Note) -> float:
    return note.created_at.replace(tzinfo=timezone.utc).timestamp()


def page_before(
    lines: list[_Line], notes: list[Note], before: int | None, size: int
) -> tuple[list[_Line], list[Note], int | None]:
    """The ``size`` lines before event index ``before`` (``None``: the newest).

    Args:
        lines: The whole transcript, in order.
        notes: Every note of the conversation.
        before: Only lines with a smaller event index (the cursor).
        size: Lines per page.

    Returns:
        The page's lines, its notes, and the cursor for the page before it
        (``None``: this page starts the conversation).
    """
    older = lines if before is None else [x for x in lines if x.index < before]
    page = older[-size:] if size > 0 else []
    more = len(older) > len(page)
    newer = [x for x in lines if x.index >= before] if before is not None else []
    upper = newer[0].stamp if newer else None
    lower = page[0].stamp if more and page else None
    kept = [
        note
        for note in notes
        if (lower is None or _stamp(note) >= lower)
        and (upper is None or _stamp(note) < upper)
    ]
    return page, kept, (page[0].index if more and page else None)


def last_page(
    lines: list[_Line], notes: list[Note], size: int = PAGE_LINES
) -> tuple[list[_Line], list[Note], int | None]:
    """The newest page (what a conversation opens with)."""
    return page_before(lines, notes, None, size)
