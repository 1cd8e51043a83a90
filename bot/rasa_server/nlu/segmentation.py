"""jieba's accurate-mode segmentation, with an HMM decoder linear in the text's length.

jieba 0.42's HMM decoder (``jieba.finalseg.viterbi``) copies the best path so
far at every character (``path[state] + [y]``), so a run of characters that is
not a dictionary word costs time quadratic in its length: 40,000 × 我 took 10 s
to segment, a 1,000,000-character message ties a core up for hours. This module
does what ``jieba.Tokenizer.cut(text, HMM=True)`` does, step for step (the
same dictionary graph and route from the tokenizer, the same HMM tables, the
same tie-breaking), but decodes with back-pointers, so the words are the same
and the cost is linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jieba

# jieba.re_han_default, jieba.re_skip_default, jieba.finalseg.re_han/re_skip
_BLOCK = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
_SPACE = re.compile("(\r\n|\\s)", re.U)
_HAN = re.compile("([\u4e00-\u9fd5]+)")
_NON_HAN_WORD = re.compile("([a-zA-Z0-9]+(?:\\.\\d+)?%?)")

# jieba.finalseg.PrevStatus and MIN_FLOAT: which state may precede each state.
_STATES = "BMES"
_PREVIOUS = {"B": "ES", "M": "MB", "S": "SE", "E": "BM"}
_MIN_FLOAT = -3.14e100


def viterbi(observations: str) -> list[str]:
    """Most likely B/M/E/S tag per character under jieba's HMM.

    The same arithmetic and tie-breaking as ``jieba.finalseg.viterbi`` (on
    equal probabilities the later state letter wins, as ``max`` over
    ``(probability, state)`` pairs decides), with one back-pointer per
    character and state instead of a copied path.

    Args:
        observations: A non-empty run of Chinese characters.

    Returns:
        One tag per character.
    """
    from jieba.finalseg import emit_P, start_P, trans_P

    scores = {
        state: start_P[state] + emit_P[state].get(observations[0], _MIN_FLOAT)
        for state in _STATES
    }
    pointers: list[dict[str, str]] = []
    for character in observations[1:]:
        new_scores = {}
        chosen = {}
        for state in _STATES:
            emission = emit_P[state].get(character, _MIN_FLOAT)
            score, previous = max(
                (
                    scores[before] + trans_P[before].get(state, _MIN_FLOAT) + emission,
                    before,
                )
                for before in _PREVIOUS[state]
            )
            new_scores[state] = score
            chosen[state] = previous
        scores = new_scores
        pointers.append(chosen)
    _, state = max((scores[state], state) for state in "ES")
    tags = [state]
    for chosen in reversed(pointers):
        state = chosen[state]
        tags.append(state)
    tags.reverse()
    return tags


def _hmm_words(run: str) -> Iterator[str]:
    """Words of a run of Chinese characters by the HMM (``finalseg.__cut``)."""
    begin, next_start = 0, 0
    for index, (character, tag) in enumerate(zip(run, viterbi(run), strict=True)):
        if tag == "B":
            begin = index
        elif tag == "E":
            yield run[begin : index + 1]
            next_start = index + 1
        elif tag == "S":
            yield character
            next_start = index + 1
    if next_start < len(run):
        yield run[next_start:]


def hmm_cut(text: str) -> Iterator[str]:
    """Segment text that is no dictionary word by the HMM (``finalseg.cut``).

    Args:
        text: Characters the dictionary route left as single characters.

    Yields:
        The words, in order.
    """
    from jieba.finalseg import Force_Split_Words

    for block in _HAN.split(text):
        if _HAN.match(block):
            for word in _hmm_words(block):
                if word not in Force_Split_Words:
                    yield word
                else:
                    yield from word
        else:
            yield from (part for part in _NON_HAN_WORD.split(block) if part)


def _cut_block(segmenter: jieba.Tokenizer, block: str) -> Iterator[str]:
    """Dictionary route, then the HMM on runs of single characters (``__cut_DAG``)."""
    graph = segmenter.get_DAG(block)
    route: dict[int, tuple[float, int]] = {}
    segmenter.calc(block, graph, route)
    length = len(block)
    singles = 0  # where the current run of single characters starts
    position = 0
    while position < length:
        end = route[position][1] + 1
        if end - position > 1:
            yield from _flush(segmenter, block[singles:position])
            yield block[position:end]
            singles = end
        position = end
    yield from _flush(segmenter, block[singles:length])


def _flush(segmenter: jieba.Tokenizer, run: str) -> Iterator[str]:
    """A run of single characters: itself, its characters, or the HMM's words."""
    if not run:
        return
    if len(run) == 1:
        yield run
    elif not segmenter.FREQ.get(run):
        yield from hmm_cut(run)
    else:
        yield from run


def cut(segmenter: jieba.Tokenizer, text: str) -> Iterator[str]:
    """The words ``segmenter.cut(text, HMM=True)`` gives, in linear time.

    Args:
        segmenter: An initialised jieba tokenizer (its dictionary and user words).
        text: The text to segment.

    Yields:
        The words, in order (spaces and punctuation as their own words).
    """
    for block in _BLOCK.split(text):
        if not block:
            continue
        if _BLOCK.match(block):
            yield from _cut_block(segmenter, block)
        else:
            for part in _SPACE.split(block):
                if _SPACE.match(part):
                    yield part
                else:
                    yield from part
