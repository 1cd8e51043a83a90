"""Segmentation in linear time: the same words as jieba's own cut, on any input."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType

import jieba
import jieba.finalseg
import pytest
import spacy
import yaml

from bot.rasa_server.nlu import segmentation
from bot.rasa_server.nlu.build_spacy_model import USER_DICT
from bot.rasa_server.nlu.spacy_tokenizer import JiebaTokenizer, read_user_dict

ROOT = Path(__file__).resolve().parents[3]
# Characters that exercise every branch: dictionary words, characters jieba's
# HMM must decode, Latin and digits, punctuation, spaces, emoji, rare CJK.
ALPHABET = (
    "我的快递到哪了退货保修积分一二三件坏了乂乃丂龥㐀XKsf 12.5%，。！？\n\t\r-_#&😀ＡＢ"
)


@pytest.fixture(scope="module")
def segmenter() -> jieba.Tokenizer:
    plain = jieba.Tokenizer()
    plain.initialize()
    for word, frequency, tag in read_user_dict(
        USER_DICT.read_text("utf-8").splitlines()
    ):
        plain.add_word(word, frequency, tag)
    return plain


@pytest.fixture(scope="module")
def tokenizer() -> JiebaTokenizer:
    """The pipeline's spaCy tokenizer with the e-commerce user dictionary."""
    built = JiebaTokenizer(spacy.blank("zh").vocab)
    built.add_words(read_user_dict(USER_DICT.read_text("utf-8").splitlines()))
    return built


def training_examples() -> Iterator[str]:
    for path in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(path.read_text("utf-8")).get("nlu") or []:
            for line in (item.get("examples") or "").splitlines():
                if line.strip().startswith("- "):
                    yield line.strip()[2:]


def random_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [
        "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 80)))
        for _ in range(count)
    ]


LONG_TEXTS = {
    "one character repeated": "我" * 5000,
    "dictionary words repeated": "我的快递到哪了" * 700,
    "lookup entry repeated": "坏了" * 2500,
    "unknown characters": "乂乃丂龥" * 1000,
    "mixed": "".join(random_texts(200, seed=11)),
}


def jiebas_words(segmenter: jieba.Tokenizer, text: str) -> list[str]:
    return list(segmenter.cut(text, HMM=True))


def test_training_examples_segment_as_jieba_does(segmenter):
    examples = list(training_examples())
    assert len(examples) > 500
    for text in examples:
        assert list(segmentation.cut(segmenter, text)) == jiebas_words(segmenter, text)


def test_random_texts_segment_as_jieba_does(segmenter):
    for text in random_texts(2000):
        assert list(segmentation.cut(segmenter, text)) == jiebas_words(
            segmenter, text
        ), text


@pytest.mark.parametrize("text", LONG_TEXTS.values(), ids=LONG_TEXTS.keys())
def test_long_texts_segment_as_jieba_does(segmenter, text):
    assert list(segmentation.cut(segmenter, text)) == jiebas_words(segmenter, text)


@pytest.mark.parametrize("text", ["我", "乂乃", "我们我们", "龥"])
def test_decoder_tags_as_jiebas(text):
    from jieba.finalseg import emit_P, start_P, trans_P

    _, expected = jieba.finalseg.viterbi(text, "BMES", start_P, trans_P, emit_P)
    assert segmentation.viterbi(text) == expected


def test_forced_splits_are_honoured(segmenter, monkeypatch):
    # add_word(word, 0) makes jieba split the HMM's word into characters.
    monkeypatch.setattr(jieba.finalseg, "Force_Split_Words", {"乂乃"})
    text = "乂乃丂龥乂乃"
    assert list(segmentation.cut(segmenter, text)) == jiebas_words(segmenter, text)


def test_jiebas_quadratic_decoder_is_never_run(segmenter, tokenizer, monkeypatch):
    # jieba's viterbi copies the best path at every character: its work grows
    # with the square of a run's length. Ours must not call it, and must decode
    # each character of the run exactly once.
    text = "我" * 3000 + "的快递" + "乂乃" * 500
    expected = jiebas_words(segmenter, text)

    def refuse(*args: object) -> None:
        raise AssertionError("jieba's own HMM decoder was called")

    monkeypatch.setattr(jieba.finalseg, "viterbi", refuse)
    monkeypatch.setattr(jieba.finalseg, "cut", refuse)
    decoded: list[int] = []
    own_viterbi = segmentation.viterbi

    def counting(observations: str) -> list[str]:
        decoded.append(len(observations))
        return own_viterbi(observations)

    monkeypatch.setattr(segmentation, "viterbi", counting)
    assert list(segmentation.cut(segmenter, text)) == expected
    assert sum(decoded) <= len(text)
    # and the pipeline's tokenizer segments with it
    assert [token.text for token in tokenizer(text)] == expected


def executed_lines(segmenter: jieba.Tokenizer, text: str) -> int:
    """Python lines run to segment ``text`` (ours and jieba's graph and route)."""
    count = [0]

    def trace(frame: FrameType, event: str, arg: object) -> Callable | None:
        if event == "line":
            count[0] += 1
        return trace

    sys.settrace(trace)
    try:
        list(segmentation.cut(segmenter, text))
    finally:
        sys.settrace(None)
    return count[0]


@pytest.mark.parametrize("unit", ["我", "我的快递到哪了", "乂乃丂龥", "坏了 XK1，"])
def test_work_is_proportional_to_the_length(segmenter, unit):
    # Counted, not timed: ten times the text runs at most ten times the lines.
    # (A loop over the text inside a loop over the text would run a hundred.)
    short = executed_lines(segmenter, unit * 100)
    long = executed_lines(segmenter, unit * 1000)
    assert long <= 10.5 * short, (short, long)


def test_spacy_tokens_of_a_long_message_are_unchanged(segmenter, tokenizer):
    # The pipeline's tokenizer, fed jieba's words, gives the same doc.
    from spacy.tokens import Doc
    from spacy.util import get_words_and_spaces

    for text in LONG_TEXTS.values():
        words = [word for word in jiebas_words(segmenter, text) if word]
        expected = Doc(tokenizer.vocab, *get_words_and_spaces(words, text))
        doc = tokenizer(text)
        assert [(t.text, t.whitespace_) for t in doc] == [
            (t.text, t.whitespace_) for t in expected
        ]
