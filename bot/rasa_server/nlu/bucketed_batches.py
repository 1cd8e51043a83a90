"""Training batches of messages of similar length, for Rasa's TensorFlow classifiers.

Rasa pads every batch to its longest message. Our training messages run from 2
to ~80 tokens (median ≈ 6), so a batch drawn at random is mostly padding: the
transformer and dense layers of DIET compute over a long message's length for
every message of the batch. Here each epoch's examples (shuffled and balanced by
Rasa as before) are cut into windows of a few batches, sorted by length inside
each window, cut into batches, and the batches are shuffled: every example is
still seen once per epoch, each batch's classes come from the same shuffled
window, and a batch is padded only to lengths close to its own.

:class:`BucketedDIETClassifier` is Rasa's ``DIETClassifier`` trained this way;
the :class:`BucketedTraining` mixin does the same for another of Rasa's
classifiers (the retrieval selector uses it). While they train, a batch's sparse
features are converted by :func:`.sparse_batches.scipy_matrix_to_values` (Rasa's
conversion, vectorised). Prediction is unchanged.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import rasa.utils.train_utils
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.diet_classifier import DIETClassifier
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.training_data import TrainingData
from rasa.utils.tensorflow.constants import SEQUENCE
from rasa.utils.tensorflow.data_generator import (
    RasaBatchDataGenerator,
    RasaDataGenerator,
)
from rasa.utils.tensorflow.model_data import Data, RasaModelData

from bot.rasa_server.nlu.sparse_batches import scipy_matrix_to_values

#: Batches per window sorted by length: large enough that a batch finds
#: neighbours of its length, small enough that each window mixes classes as
#: Rasa's balancing laid them out.
WINDOW_BATCHES = 8

_PATCH_LOCK = threading.Lock()


def sequence_lengths(data: Data) -> np.ndarray | None:
    """Number of tokens of each example's text, or ``None`` without text sequences.

    Args:
        data: Rasa model data (attribute → feature key → feature arrays).

    Returns:
        One length per example, read from the first text sequence feature.
    """
    arrays = data.get(TEXT, {}).get(SEQUENCE, [])
    if not arrays:
        return None
    return np.array([matrix.shape[0] for matrix in arrays[0]], dtype=np.int64)


def bucketed_order(
    lengths: np.ndarray, batch_size: int, rng: np.random.Generator
) -> np.ndarray:
    """An order of the examples whose batches hold messages of similar length.

    Args:
        lengths: Token count of each example, in the epoch's (shuffled) order.
        batch_size: Examples per batch this epoch.
        rng: Random source for the order of the batches.

    Returns:
        A permutation of ``range(len(lengths))``.
    """
    count = len(lengths)
    window = max(batch_size, 1) * WINDOW_BATCHES
    batches: list[np.ndarray] = []
    for start in range(0, count, window):
        ids = np.arange(start, min(start + window, count))
        ids = ids[np.argsort(lengths[ids], kind="stable")]
        batches.extend(
            ids[offset : offset + batch_size]
            for offset in range(0, len(ids), max(batch_size, 1))
        )
    if not batches:
        return np.arange(0, dtype=np.int64)
    # The last, possibly short batch stays last (Rasa may drop it).
    body = batches[:-1]
    order = rng.permutation(len(body))
    return np.concatenate([*(body[i] for i in order), batches[-1]])


class BucketedBatchDataGenerator(RasaBatchDataGenerator):
    """Rasa's batch generator whose batches hold messages of similar length."""

    def _shuffle_and_balance(self, batch_size: int) -> Data:
        data = super()._shuffle_and_balance(batch_size)
        lengths = sequence_lengths(data)
        if lengths is None or not self.shuffle:
            return data
        # Rasa seeds NumPy's global generator with the component's random_seed.
        rng = np.random.default_rng(np.random.randint(0, 2**31 - 1))
        ids = bucketed_order(lengths, batch_size, rng)
        return RasaModelData._data_for_ids(data, ids)


def _create_bucketed_generators(
    model_data: RasaModelData,
    batch_sizes: int | list[int],
    epochs: int,
    batch_strategy: str = "sequence",
    eval_num_examples: int = 0,
    random_seed: int | None = None,
    shuffle: bool = True,
    drop_small_last_batch: bool = False,
) -> tuple[RasaBatchDataGenerator, RasaBatchDataGenerator | None]:
    """Rasa's ``create_data_generators``, with bucketed training batches."""
    validation = None
    if eval_num_examples > 0:
        model_data, evaluation_data = model_data.split(eval_num_examples, random_seed)
        validation = RasaBatchDataGenerator(
            evaluation_data,
            batch_size=batch_sizes,
            epochs=epochs,
            batch_strategy=batch_strategy,
            shuffle=shuffle,
            drop_small_last_batch=drop_small_last_batch,
        )
    training = BucketedBatchDataGenerator(
        model_data,
        batch_size=batch_sizes,
        epochs=epochs,
        batch_strategy=batch_strategy,
        shuffle=shuffle,
        drop_small_last_batch=drop_small_last_batch,
    )
    return training, validation


@contextlib.contextmanager
def bucketed_training() -> Iterator[None]:
    """Make Rasa's classifiers build bucketed batches while the block runs.

    Rasa's ``DIETClassifier.train`` (and the ``ResponseSelector`` built on it)
    asks ``rasa.utils.train_utils.create_data_generators`` for its batches and
    offers no other hook, so that function is swapped for the block's duration,
    and so is the sparse conversion that ``prepare_batch`` calls by class name.
    Rasa trains a graph's components one after the other; the lock keeps two
    trainings in one process from interleaving their swaps.
    """
    from keras.engine import data_adapter

    with _PATCH_LOCK:
        original = rasa.utils.train_utils.create_data_generators
        conversion = RasaDataGenerator.__dict__["_scipy_matrix_to_values"]
        get_dataset = data_adapter.GeneratorDataAdapter.__dict__["get_dataset"]
        rasa.utils.train_utils.create_data_generators = _create_bucketed_generators
        RasaDataGenerator._scipy_matrix_to_values = staticmethod(scipy_matrix_to_values)
        data_adapter.GeneratorDataAdapter.get_dataset = _without_autotune(get_dataset)
        try:
            yield
        finally:
            rasa.utils.train_utils.create_data_generators = original
            RasaDataGenerator._scipy_matrix_to_values = conversion
            data_adapter.GeneratorDataAdapter.get_dataset = get_dataset


def _without_autotune(get_dataset: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Keras's generator dataset with tf.data's autotuning off.

    Keras feeds Rasa's batch generator through ``Dataset.from_generator`` and a
    fixed ``prefetch(1)``: there is nothing to tune, but tf.data still starts
    its autotuning thread, and deleting an epoch's iterator waits until that
    thread's sleep (up to a minute) ends. After the last epoch this held a
    training for 40–50 s in 8 of 12 runs (``gdb``: ``~Iterator`` waiting on
    ``Model::OptimizeLoop``; benchmarks/README.md, "Issue 17: the loop's waits,
    and the vote's training").
    """

    def dataset_without_autotune(adapter: Any) -> Any:
        import tensorflow as tf

        options = tf.data.Options()
        options.autotune.enabled = False
        return get_dataset(adapter).with_options(options)

    return dataset_without_autotune


class BucketedTraining:
    """Mixin for Rasa's TensorFlow classifiers: ``train`` on bucketed batches.

    Put it before the Rasa class (``class X(BucketedTraining, DIETClassifier)``).
    """

    def train(self, training_data: TrainingData) -> Resource:
        """Train as the Rasa class does, with bucketed batches.

        Args:
            training_data: The NLU training data.

        Returns:
            The resource the model was persisted to.
        """
        with bucketed_training():
            return super().train(training_data)  # type: ignore[misc]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class BucketedDIETClassifier(BucketedTraining, DIETClassifier):
    """Rasa's ``DIETClassifier``, trained on batches of messages of similar length."""
