"""A spaCy tokenizer for Chinese: jieba with an e-commerce user dictionary.

spaCy's own ``zh`` tokenizer uses jieba's process-wide dictionary, which cannot
be saved with a pipeline. This one owns a private ``jieba.Tokenizer`` and saves
its user dictionary inside the pipeline directory, so ``spacy.load`` of the
built pipeline gives the same segmentation on any machine, with no download.
It is registered with spaCy through the ``spacy_tokenizers`` entry point in
``pyproject.toml`` (spaCy's plugin mechanism), so no import is needed before
``spacy.load``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import srsly
from spacy.tokens import Doc
from spacy.util import DummyTokenizer, get_words_and_spaces

from bot.rasa_server.nlu.segmentation import cut

if TYPE_CHECKING:
    import jieba
    from spacy.language import Language
    from spacy.vocab import Vocab

REGISTERED_NAME = "xiaoke.JiebaTokenizer.v1"
USER_DICT_FILE = "user_dict.txt"
# jieba's frequency for user words: high enough to win over its general dictionary.
DEFAULT_FREQUENCY = 20000


def read_user_dict(lines: Iterable[str]) -> list[tuple[str, int, str | None]]:
    """Parse a jieba user dictionary (``word [frequency] [tag]`` per line).

    Args:
        lines: The dictionary's lines; blank lines and ``#`` comments are skipped.

    Returns:
        ``(word, frequency, tag)`` for each entry, in order.

    Raises:
        ValueError: If a frequency is not a whole number.
    """
    entries = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        frequency = DEFAULT_FREQUENCY
        if len(parts) > 1:
            if not parts[1].isdigit():
                raise ValueError(
                    f"line {number}: frequency {parts[1]!r} is not a number"
                )
            frequency = int(parts[1])
        tag = parts[2] if len(parts) > 2 else None
        entries.append((parts[0], frequency, tag))
    return entries


class JiebaTokenizer(DummyTokenizer):
    """Segment Chinese with a private jieba instance and a user dictionary."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.user_words: list[tuple[str, int, str | None]] = []
        self._jieba: jieba.Tokenizer | None = None

    def add_words(self, entries: Iterable[tuple[str, int, str | None]]) -> None:
        """Add user-dictionary words (before or after the first call).

        Args:
            entries: ``(word, frequency, tag)`` tuples.
        """
        new = list(entries)
        self.user_words.extend(new)
        if self._jieba is not None:
            for word, frequency, tag in new:
                self._jieba.add_word(word, frequency, tag)

    def _segmenter(self) -> jieba.Tokenizer:
        if self._jieba is None:
            import jieba

            jieba.setLogLevel(60)  # jieba prints its cache loading otherwise
            segmenter = jieba.Tokenizer()
            segmenter.initialize()
            for word, frequency, tag in self.user_words:
                segmenter.add_word(word, frequency, tag)
            self._jieba = segmenter
        return self._jieba

    def __call__(self, text: str) -> Doc:
        """Segment ``text`` into a spaCy ``Doc``."""
        # jieba's own cut(text, HMM=True) is quadratic in a run of characters
        # that is not a dictionary word; bot.rasa_server.nlu.segmentation gives
        # its words in linear time.
        words = [word for word in cut(self._segmenter(), text) if word]
        words, spaces = get_words_and_spaces(words, text)
        return Doc(self.vocab, words=words, spaces=spaces)

    def to_bytes(self, **kwargs: Any) -> bytes:
        """Serialise the user dictionary."""
        return srsly.msgpack_dumps({"user_words": [list(e) for e in self.user_words]})

    def from_bytes(self, data: bytes, **kwargs: Any) -> JiebaTokenizer:
        """Load the user dictionary from bytes."""
        entries = srsly.msgpack_loads(data)["user_words"]
        self.user_words = []
        self._jieba = None
        self.add_words((word, int(freq), tag) for word, freq, tag in entries)
        return self

    def to_disk(self, path: str | Path, **kwargs: Any) -> None:
        """Write the user dictionary as ``user_dict.txt`` under ``path``."""
        directory = Path(path)
        directory.mkdir(parents=True, exist_ok=True)
        lines = [
            " ".join(str(part) for part in (word, freq, tag) if part is not None)
            for word, freq, tag in self.user_words
        ]
        (directory / USER_DICT_FILE).write_text("\n".join(lines) + "\n", "utf-8")

    def from_disk(self, path: str | Path, **kwargs: Any) -> JiebaTokenizer:
        """Read the user dictionary written by ``to_disk``."""
        text = (Path(path) / USER_DICT_FILE).read_text("utf-8")
        self.user_words = []
        self._jieba = None
        self.add_words(read_user_dict(text.splitlines()))
        return self


def create_tokenizer() -> Callable[[Language], JiebaTokenizer]:
    """Return the factory spaCy calls to build the tokenizer (registry entry)."""

    def make(nlp: Language) -> JiebaTokenizer:
        return JiebaTokenizer(nlp.vocab)

    return make
