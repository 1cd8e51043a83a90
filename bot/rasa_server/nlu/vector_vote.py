"""Rasa graph component: a second opinion on the intent from sentence vectors.

DIET learns the intent from the word and character n-grams of our training data
alone; on real shoppers' wordings it is often confidently wrong. This component
trains a multinomial logistic regression on two views of each example: the same
n-gram counts (TF-IDF, sublinear) and a pretrained multilingual sentence vector
(``bot.rasa_server.nlu.sentence_vectors``), which places unseen wordings near
the seen ones. At prediction it mixes the two rankings,

    confidence(intent) = diet_weight × DIET + (1 − diet_weight) × regression,

and sets the message's intent and ranking from the mix. Put it after DIET and
before the retrieval selector and the FallbackClassifier, which then see the
mixed intent and confidence. Measured in benchmarks/README.md ("NLU: a second
opinion from pretrained sentence vectors").
"""

from __future__ import annotations

import io
import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.rasa_server.nlu.sentence_vectors import (
    BackgroundEncoder,
    SentenceEncoder,
    encode_in_batches,
    load_encoder,
)
from bot.rasa_server.nlu.softmax_regression import fit_softmax_regression

_ARRAYS_FILE = "vector_vote.npz"

logger = logging.getLogger(__name__)


def _sublinear(counts: np.ndarray) -> np.ndarray:
    """``1 + ln(count)`` for positive counts, 0 otherwise (sublinear TF)."""
    return np.where(counts > 0, 1.0 + np.log(np.maximum(counts, 1e-12)), 0.0)


@dataclass(frozen=True)
class VoteModel:
    """A trained regression: intents, weights and the n-grams' IDF."""

    intents: tuple[str, ...]
    idf: np.ndarray  # (n-gram features,)
    weights: np.ndarray  # (intents, n-gram features + vector dimension)
    bias: np.ndarray  # (intents,)

    @staticmethod
    def fit_idf(counts: scipy.sparse.csr_matrix) -> np.ndarray:
        """Smoothed IDF of each n-gram feature over the training examples.

        Args:
            counts: ``(examples, features)`` n-gram counts.

        Returns:
            ``ln((1 + n) / (1 + df)) + 1`` per feature, as scikit-learn computes it.
        """
        examples = counts.shape[0]
        document_frequency = np.bincount(
            counts.tocsc().nonzero()[1], minlength=counts.shape[1]
        )
        return np.log((1 + examples) / (1 + document_frequency)) + 1.0

    def inputs(
        self, counts: scipy.sparse.csr_matrix, vectors: np.ndarray
    ) -> scipy.sparse.csr_matrix:
        """The regression's inputs: sublinear TF-IDF rows (unit length) and vectors.

        Args:
            counts: ``(examples, features)`` n-gram counts.
            vectors: ``(examples, dimension)`` sentence vectors.

        Returns:
            The ``(examples, features + dimension)`` input matrix.
        """
        return scipy.sparse.hstack(
            [self.tfidf(counts), scipy.sparse.csr_matrix(vectors.astype(np.float64))]
        ).tocsr()

    def tfidf(self, counts: scipy.sparse.csr_matrix) -> scipy.sparse.csr_matrix:
        """The n-gram block of ``inputs``: sublinear TF-IDF rows of unit length.

        Args:
            counts: ``(examples, features)`` n-gram counts.

        Returns:
            The ``(examples, features)`` TF-IDF matrix.
        """
        tf = counts.astype(np.float64).tocsr(copy=True)
        tf.data = _sublinear(tf.data)
        tfidf = tf.multiply(self.idf[np.newaxis, :]).tocsr()
        norms = np.sqrt(np.asarray(tfidf.multiply(tfidf).sum(axis=1))).ravel()
        norms[norms == 0] = 1.0
        return (scipy.sparse.diags(1.0 / norms) @ tfidf).tocsr()

    def probabilities(
        self, columns: np.ndarray, counts: np.ndarray, vector: np.ndarray
    ) -> np.ndarray:
        """Each intent's probability for one message (softmax of the scores).

        Works on the message's few non-zero n-grams directly: no sparse
        matrices, ≈ 0.1 ms instead of ≈ 2.5 ms through scipy.

        Args:
            columns: The n-gram features the message has (column indices).
            counts: Their counts.
            vector: The message's sentence vector.

        Returns:
            ``(intents,)``, summing to 1.
        """
        ngrams = self.idf.shape[0]
        tfidf = _sublinear(counts) * self.idf[columns]
        norm = float(np.sqrt(tfidf @ tfidf)) or 1.0
        # einsum, not @: a matrix-vector product this small is faster in one
        # thread, and BLAS's idle worker threads would spin on the other core.
        scores = np.einsum("ij,j->i", self.weights[:, columns], tfidf / norm)
        scores += np.einsum("ij,j->i", self.weights[:, ngrams:], vector)
        scores += self.bias
        scores -= scores.max()
        exp = np.exp(scores)
        return exp / exp.sum()


def mix_rankings(
    diet_ranking: list[dict[str, Any]],
    vote: dict[str, float],
    diet_weight: float,
    length: int,
) -> list[dict[str, Any]]:
    """Mix DIET's intent ranking with the regression's probabilities.

    Args:
        diet_ranking: DIET's ranking (``name``, ``confidence``), best first; an
            intent missing from it counts as 0.
        vote: The regression's probability per intent.
        diet_weight: DIET's share of the mix, between 0 and 1.
        length: How many intents the mixed ranking keeps.

    Returns:
        The mixed ranking, best first (ties in DIET's order, then by name).
    """
    diet = {
        str(entry[INTENT_NAME_KEY]): float(entry[PREDICTED_CONFIDENCE_KEY])
        for entry in diet_ranking
    }
    order = {name: index for index, name in enumerate(diet)}
    names = set(diet) | set(vote)
    share = 1.0 - diet_weight
    mixed = {
        name: diet_weight * diet.get(name, 0.0) + share * vote.get(name, 0.0)
        for name in names
    }
    ranked = sorted(names, key=lambda n: (-mixed[n], order.get(n, len(order)), n))
    return [
        {INTENT_NAME_KEY: name, PREDICTED_CONFIDENCE_KEY: mixed[name]}
        for name in ranked[:length]
    ]


def _is_ngram_feature(feature: Features) -> bool:
    """Whether a feature is an n-gram featurizer's sparse sentence row of the text."""
    return (
        feature.attribute == TEXT
        and feature.type == FEATURE_TYPE_SENTENCE
        and feature.is_sparse()
    )


def ngram_counts(message: Message) -> tuple[np.ndarray, np.ndarray, int]:
    """The message's sparse sentence features, all n-gram featurizers side by side.

    Args:
        message: A featurised message.

    Returns:
        Column indices and counts of the non-zero features, and the width of the
        whole row (the featurizers' columns one after the other, in pipeline order).
    """
    columns, counts, width = [], [], 0
    for feature in filter(_is_ngram_feature, message.features):
        row = scipy.sparse.coo_matrix(feature.features)
        row.sum_duplicates()
        columns.append(row.col.astype(np.int64) + width)
        counts.append(row.data.astype(np.float64))
        width += row.shape[1]
    if not columns:
        raise ValueError("a message reached VectorVote without n-gram features")
    return np.concatenate(columns), np.concatenate(counts), width


def _has_ngrams(message: Message) -> bool:
    """Whether the message has a sparse sentence feature of its text."""
    return any(map(_is_ngram_feature, message.features))


def _count_matrix(messages: list[Message]) -> scipy.sparse.csr_matrix:
    """Stack the messages' n-gram counts into one ``(messages, width)`` matrix."""
    rows = [ngram_counts(message) for message in messages]
    width = rows[0][2]
    if any(row[2] != width for row in rows):
        raise ValueError("the training examples' n-gram features differ in width")
    return scipy.sparse.csr_matrix(
        (
            np.concatenate([counts for _, counts, _ in rows]),
            np.concatenate([columns for columns, _, _ in rows]),
            np.concatenate([[0], np.cumsum([len(c) for c, _, _ in rows])]),
        ),
        shape=(len(rows), width),
    )


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class VectorVoteIntentClassifier(GraphComponent, IntentClassifier):
    """Mix DIET's intent ranking with a regression over n-grams and sentence vectors."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Return the default config.

        ``diet_weight`` was chosen on our own regression set
        (tests/nlu/regression.yml), see benchmarks/README.md.
        """
        return {
            # Only messages DIET is less sure of than this get the vote: where
            # DIET is surer, the mix almost never changes the intent (see
            # benchmarks/README.md), and the vector is most of a turn's NLU cost.
            "vote_below": 0.999,
            "diet_weight": 0.3,
            "C": 32.0,
            "max_iter": 3000,
            "threads": 1,
            "ranking_length": 10,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """Return the packages Rasa checks (the encoder checks its own)."""
        return []

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        encoder: SentenceEncoder,
        model: VoteModel | None = None,
    ) -> None:
        """Create the component around a loaded encoder and, once trained, a model."""
        self._config = {**self.get_default_config(), **config}
        weight = self._config["diet_weight"]
        if not 0.0 <= float(weight) <= 1.0:
            raise ValueError(f"diet_weight must be between 0 and 1, not {weight!r}")
        self._model_storage = model_storage
        self._resource = resource
        self._encoder = encoder
        self._model = model
        # NLU may run in a thread pool; one encoder call at a time.
        self._lock = threading.Lock()
        self._failure_logged = False

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> VectorVoteIntentClassifier:
        """Create an untrained component (the encoder's weights are read here).

        Training encodes every example while nothing else runs: the encoder
        gets every core the process may use (``threads`` is for serving, where
        turns run side by side). The vectors are the same; 5,256 examples took
        11–13 s instead of 16–21 s on two cores.
        """
        encoder = load_encoder(len(os.sched_getaffinity(0)))
        return cls(config, model_storage, resource, encoder)

    def _vectors(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return encode_in_batches(self._encoder, texts)

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the regression on the intent examples, then persist it.

        Args:
            training_data: Featurised NLU training data.

        Returns:
            The resource the model was written to.
        """
        examples = [
            example
            for example in training_data.intent_examples
            if example.get(TEXT) and example.get(INTENT) and _has_ngrams(example)
        ]
        if len({example.get(INTENT) for example in examples}) < 2:
            logger.warning("VectorVote: fewer than two intents to learn, not trained")
            return self._resource
        counts = _count_matrix(examples)
        vectors = self._vectors([example.get(TEXT) for example in examples])
        intents = [str(example.get(INTENT)) for example in examples]
        idf = VoteModel.fit_idf(counts)
        unfitted = VoteModel(tuple(), idf, np.zeros((0, 0)), np.zeros(0))
        # scikit-learn's LogisticRegression (lbfgs, multinomial), fitted on the
        # two blocks apart (the component trained in 16 s instead of 24 s).
        regression = fit_softmax_regression(
            unfitted.tfidf(counts),
            vectors,
            intents,
            c=float(self._config["C"]),
            max_iter=int(self._config["max_iter"]),
        )
        logger.debug("VectorVote: fitted in %d iterations", regression.iterations)
        self._model = VoteModel(
            intents=regression.classes,
            idf=idf,
            weights=regression.weights,
            bias=regression.bias,
        )
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        """Set each message's intent and ranking from the mix.

        Messages without text, without a DIET ranking, with DIET's top confidence
        at ``vote_below`` or above, or processed before the component is trained
        are left as they are.

        Args:
            messages: Messages DIET has classified.

        Returns:
            The same messages.
        """
        model = self._model
        if model is None:
            return messages
        below = float(self._config["vote_below"])
        ready = [
            message
            for message in messages
            if message.get(TEXT)
            and message.get(INTENT_RANKING_KEY)
            and message.get(INTENT_RANKING_KEY)[0][PREDICTED_CONFIDENCE_KEY] < below
            and _has_ngrams(message)
        ]
        if not ready:
            return messages
        try:
            self._vote(model, ready)
        except Exception:  # a second opinion must never cost the shopper an answer
            if not self._failure_logged:
                logger.exception("VectorVote failed; DIET's intent is kept")
                self._failure_logged = True
        return messages

    def _vote(self, model: VoteModel, ready: list[Message]) -> None:
        """Mix DIET's ranking with the regression's on each message."""
        vectors = self._vectors([message.get(TEXT) for message in ready])
        for message, vector in zip(ready, vectors, strict=True):
            columns, counts, width = ngram_counts(message)
            if width != model.idf.shape[0]:
                expected = model.idf.shape[0]
                raise ValueError(f"{width} n-gram features, the model has {expected}")
            row = model.probabilities(columns, counts, vector)
            ranking = mix_rankings(
                message.get(INTENT_RANKING_KEY),
                dict(zip(model.intents, row.tolist(), strict=True)),
                float(self._config["diet_weight"]),
                int(self._config["ranking_length"]),
            )
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)

    def persist(self) -> None:
        """Write the model's arrays (no pickle) to the model storage."""
        if self._model is None:
            return
        with self._model_storage.write_to(self._resource) as directory:
            np.savez(
                directory / _ARRAYS_FILE,
                intents=np.array(self._model.intents, dtype=str),
                idf=self._model.idf,
                weights=self._model.weights,
                bias=self._model.bias,
            )

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> VectorVoteIntentClassifier:
        """Load the trained model; the encoder's weights are read in a thread."""
        data = None
        try:
            with model_storage.read_from(resource) as directory:
                if (directory / _ARRAYS_FILE).exists():
                    data = (directory / _ARRAYS_FILE).read_bytes()
        except ValueError:  # Rasa's storage: nothing was persisted (not trained)
            data = None
        model = None
        if data is None:
            logger.warning("VectorVote has no trained model: DIET's intents are kept")
        else:
            with np.load(io.BytesIO(data), allow_pickle=False) as arrays:
                model = VoteModel(
                    intents=tuple(str(name) for name in arrays["intents"]),
                    idf=arrays["idf"],
                    weights=arrays["weights"],
                    bias=arrays["bias"],
                )
        # The weights are read beside the next components' loading.
        encoder = BackgroundEncoder(int(config["threads"]))
        return cls(config, model_storage, resource, encoder, model)
