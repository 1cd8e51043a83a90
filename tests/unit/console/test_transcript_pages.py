"""Long transcripts in pages, notes with the page of their time, masked phones."""

from __future__ import annotations

from datetime import datetime, timezone

from bot.console.phones import phone_hint, phone_query
from bot.console.service import TranscriptLine
from bot.console.transcript_pages import last_page, page_before
from bot.console.workbench import Note


def line(index: int) -> TranscriptLine:
    return TranscriptLine(
        index, "shopper", f"第{index}句", None, "10:00", 1000.0 + index
    )


def note(note_id: int, stamp: float) -> Note:
    moment = datetime.fromtimestamp(stamp, timezone.utc).replace(tzinfo=None)
    return Note(note_id, 1, "a", f"备注{note_id}", moment)


def test_pages_walk_back_to_the_start_without_gaps_or_repeats():
    lines = [line(i) for i in range(0, 250, 2)]  # 125 lines, event indexes 0..248
    notes = [note(1, 1000.0), note(2, 1100.0), note(3, 1248.0), note(4, 1300.0)]
    seen_lines, seen_notes = [], []
    page, kept, cursor = last_page(lines, notes, 50)
    assert [x.index for x in page] == list(range(150, 250, 2))
    seen_lines += page
    seen_notes += kept
    while cursor is not None:
        page, kept, cursor = page_before(lines, notes, cursor, 50)
        seen_lines = page + seen_lines
        seen_notes = kept + seen_notes
    assert seen_lines == lines
    assert sorted(n.id for n in seen_notes) == [1, 2, 3, 4]


def test_a_short_transcript_is_one_page():
    lines = [line(i) for i in range(5)]
    page, kept, cursor = last_page(lines, [note(1, 1002.0)], 50)
    assert page == lines and [n.id for n in kept] == [1] and cursor is None


def test_phone_hint_is_masked_from_the_slot_or_the_text():
    assert phone_hint({"slots": {"phone": "13812345678"}}) == "138****5678"
    assert phone_hint({"slots": {}, "last_message": "电话 139 0000 1111"}) == (
        "139****1111"
    )
    assert phone_hint({"slots": {}, "last_message": "没有号码"}) is None
    assert phone_hint("not a summary") is None


def test_phone_query_understands_masked_full_and_last_four():
    assert phone_query("138****5678") == ("exact", "138****5678")
    assert phone_query("13812345678") == ("exact", "138****5678")
    assert phone_query("5678") == ("tail", "5678")
    assert phone_query("XK2024") is None
