"""Normalise shoppers' Chinese text while keeping a map back to what they typed.

Every step works on characters and records, for each character of the output,
which span of the original text it came from. Most steps replace one character
with one character (traditional → simplified, full-width → half-width, Latin
lower case, emoji and control characters → space, an app's pasted order header
and social-media handles and links → spaces), so offsets stay the same;
Chinese numerals → digits is the one step that changes the length, and the map
lets entity offsets found in the normalised text point back into the original.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Callable, Sequence

from bot.rasa_server.nlu.order_details import blank_order_details
from bot.rasa_server.nlu.social_noise import blank_mentions_and_links

Span = tuple[int, int]

# Characters that may form a Chinese number.
_NUMERAL_RUN = re.compile(r"[零〇一二两三四五六七八九十百千万]+")
_MULTIPLIERS = frozenset("十百千万")
_DIGITS = {ch: str(i) for i, ch in enumerate("零一二三四五六七八九")} | {
    "〇": "0",
    "两": "2",
}
# Measure words and units after which a numeral run is a number (三件, 十一月, 五号).
_UNITS = frozenset(
    "个件台天号日月年点块元次单份盒瓶双条箱斤克寸周折星位笔部只套支张袋包罐"
    "分秒岁楼层斤码"
)
_TWO_CHAR_UNITS = ("小时", "分钟", "星期", "公斤", "积分", "礼拜")
# A numeral before these is part of a word, not a number (一点儿, 一点点).
_NOT_A_NUMBER_AFTER_ONE = frozenset("点")
_EMOJI_MODIFIERS = frozenset(range(0x1F3FB, 0x1F400)) | {0xFE0E, 0xFE0F, 0x20E3}
_NOISE_CATEGORIES = frozenset({"So", "Cf", "Cc", "Co", "Cs", "Cn"})

Converter = Callable[[str], str]
CharTest = Callable[[str], bool]


@dataclasses.dataclass(frozen=True)
class NormalizedText:
    """Normalised text plus, per character, the span of the original it came from.

    Attributes:
        original: What the shopper typed.
        text: The normalised text.
        spans: ``spans[i]`` is the ``(start, end)`` span of ``original`` that
            character ``i`` of ``text`` came from.
    """

    original: str
    text: str
    spans: tuple[Span, ...]

    def to_original(self, start: int, end: int) -> Span:
        """Map a span of the normalised text to the span of the original it covers.

        Args:
            start: Start offset in the normalised text.
            end: End offset (exclusive) in the normalised text.

        Returns:
            The ``(start, end)`` span in the original text.
        """
        if start >= end:
            at = self.spans[start][0] if start < len(self.spans) else len(self.original)
            return at, at
        return self.spans[start][0], self.spans[min(end, len(self.spans)) - 1][1]

    def to_normalized(self, start: int, end: int) -> Span:
        """Map a span of the original text to the span of the normalised text.

        Args:
            start: Start offset in the original text.
            end: End offset (exclusive) in the original text.

        Returns:
            The smallest ``(start, end)`` span of the normalised text whose
            characters came from inside the original span (or touch it).
        """
        inside = [i for i, (s, e) in enumerate(self.spans) if s < end and e > start]
        if not inside:
            return len(self.text), len(self.text)
        return inside[0], inside[-1] + 1


def _identity_spans(text: str) -> list[Span]:
    return [(i, i + 1) for i in range(len(text))]


def _map_chars(text: str, char_map: Callable[[str], str]) -> str:
    return "".join(char_map(ch) for ch in text)


def to_half_width(ch: str) -> str:
    """Turn a full-width ASCII variant or ideographic space into its ASCII form."""
    code = ord(ch)
    if code == 0x3000:
        return " "
    if 0xFF01 <= code <= 0xFF5E:
        return chr(code - 0xFEE0)
    return ch


def to_ascii_lower(ch: str) -> str:
    """Lower-case Latin capitals only; other scripts are left alone."""
    return ch.lower() if "A" <= ch <= "Z" else ch


def blank_noise(ch: str) -> str:
    """Replace emoji, pictographs, control and formatting characters by a space."""
    if ch in "\t\n\r ":
        return " "
    if ord(ch) in _EMOJI_MODIFIERS or unicodedata.category(ch) in _NOISE_CATEGORIES:
        return " "
    return ch


def convert_script(text: str, convert: Converter, is_simplified: CharTest) -> str:
    """Convert traditional characters to simplified without changing the length.

    OpenCC's ``t2s`` also converts phrases, and on text that is already
    simplified a phrase can turn a correct character into a wrong one (一坏 →
    一坯). So a character that is itself a simplified form is never changed,
    and when a conversion would change the length, the text is converted
    character by character so that offsets still line up.

    Args:
        text: Text to convert.
        convert: The OpenCC ``t2s`` conversion function.
        is_simplified: Tells whether a character is a simplified form (one
            that ``s2t`` would change).

    Returns:
        The converted text, as long as ``text``.
    """
    converted = convert(text)
    if len(converted) != len(text):
        converted = "".join(
            single if len(single := convert(ch)) == 1 else ch for ch in text
        )
    return "".join(
        original if original == new or is_simplified(original) else new
        for original, new in zip(text, converted, strict=True)
    )


def _is_number_context(text: str, start: int, end: int) -> bool:
    run = text[start:end]
    if start > 0 and text[start - 1] == "第":
        return True
    following = text[end : end + 2]
    if any(following.startswith(unit) for unit in _TWO_CHAR_UNITS):
        return True
    if not following or following[0] not in _UNITS:
        return False
    return not (run == "一" and following[0] in _NOT_A_NUMBER_AFTER_ONE)


def numeral_replacements(
    text: str, to_number: Callable[[str], int]
) -> list[tuple[int, int, str]]:
    """Find Chinese numerals used as numbers and what digits replace them.

    A run of numeral characters counts as a number after 第 or before a measure
    word or unit (三件, 十一月, 第二个). Two bare digits are a range, not a number
    (两三天: "two or three days"); three or more are read digit by digit
    (二零二四年); words that merely contain a numeral (一下, 一直, 万一) are left
    alone.

    Args:
        text: Text to search (already script-converted).
        to_number: Parses a numeral run with multipliers (十百千万), raising
            ``ValueError`` if it is not one number (``cn2an.cn2an``).

    Returns:
        ``(start, end, digits)`` for each numeral to replace, in text order.
    """
    found = []
    for match in _NUMERAL_RUN.finditer(text):
        start, end = match.span()
        if not _is_number_context(text, start, end):
            continue
        run = match.group()
        if not _MULTIPLIERS.intersection(run):
            if len(run) == 2:
                continue
            found.append((start, end, "".join(_DIGITS[ch] for ch in run)))
            continue
        try:
            value = to_number(run)
        except (ValueError, KeyError, TypeError):
            continue
        found.append((start, end, str(value)))
    return found


class TextNormalizer:
    """Normalises shoppers' text; built once with its converters, then reused.

    Args:
        to_simplified: Traditional → simplified conversion (OpenCC ``t2s``).
        to_number: Parses one Chinese numeral (``cn2an`` strict); ``None`` keeps
            numerals as they are.
    """

    def __init__(
        self,
        to_simplified: Converter | None = None,
        is_simplified: CharTest | None = None,
        to_number: Callable[[str], int] | None = None,
    ) -> None:
        self._to_simplified = to_simplified
        self._is_simplified = is_simplified or (lambda _ch: False)
        self._to_number = to_number

    @classmethod
    def default(cls) -> TextNormalizer:
        """Build a normaliser with OpenCC and cn2an (both bundle their data)."""
        import cn2an
        import opencc

        to_simplified = opencc.OpenCC("t2s").convert
        to_traditional = opencc.OpenCC("s2t").convert

        @functools.lru_cache(maxsize=8192)
        def is_simplified(ch: str) -> bool:
            return bool(to_traditional(ch) != ch)

        def to_number(run: str) -> int:
            value = cn2an.cn2an(run, "normal")
            if not float(value).is_integer():
                raise ValueError(f"not a whole number: {run}")
            return int(value)

        return cls(to_simplified, is_simplified, to_number)

    def normalize(self, text: str) -> NormalizedText:
        """Normalise one message.

        Args:
            text: What the shopper typed.

        Returns:
            The normalised text with its map back to ``text``.
        """
        current = text
        if self._to_simplified is not None:
            current = convert_script(current, self._to_simplified, self._is_simplified)
        current = _map_chars(current, to_half_width)
        current = _map_chars(current, to_ascii_lower)
        current = _map_chars(current, blank_noise)
        current = blank_order_details(current)  # same length: offsets kept
        current = blank_mentions_and_links(current)  # same length
        spans = _identity_spans(text)
        if self._to_number is not None:
            current, spans = self._replace_numerals(current, spans)
        return NormalizedText(original=text, text=current, spans=tuple(spans))

    def _replace_numerals(
        self, text: str, spans: Sequence[Span]
    ) -> tuple[str, list[Span]]:
        assert self._to_number is not None
        pieces: list[str] = []
        new_spans: list[Span] = []
        cursor = 0
        for start, end, digits in numeral_replacements(text, self._to_number):
            pieces.append(text[cursor:start])
            new_spans.extend(spans[cursor:start])
            covered = (spans[start][0], spans[end - 1][1])
            pieces.append(digits)
            new_spans.extend([covered] * len(digits))
            cursor = end
        pieces.append(text[cursor:])
        new_spans.extend(spans[cursor:])
        return "".join(pieces), new_spans
