"""Training batches of similar length: every example once, far less padding."""

from __future__ import annotations

import numpy as np
import rasa.utils.train_utils
import scipy.sparse
from rasa.shared.nlu.constants import TEXT
from rasa.utils.tensorflow.constants import LABEL, SENTENCE, SEQUENCE
from rasa.utils.tensorflow.model_data import FeatureArray, RasaModelData

from bot.rasa_server.nlu.bucketed_batches import (
    BucketedBatchDataGenerator,
    bucketed_order,
    bucketed_training,
    sequence_lengths,
)


def _padding(lengths: np.ndarray, order: np.ndarray, batch_size: int) -> int:
    """Padded positions when batches of ``order`` are padded to their longest."""
    ordered = lengths[order]
    return sum(
        int(batch.max()) * len(batch) - int(batch.sum())
        for batch in (
            ordered[i : i + batch_size] for i in range(0, len(ordered), batch_size)
        )
    )


def test_the_order_holds_every_example_exactly_once() -> None:
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 80, size=1000)

    order = bucketed_order(lengths, 64, rng)

    assert sorted(order.tolist()) == list(range(1000))


def test_batches_are_padded_far_less_than_in_shuffled_order() -> None:
    rng = np.random.default_rng(2)
    lengths = np.concatenate([rng.integers(2, 12, 900), rng.integers(40, 80, 100)])
    shuffled = rng.permutation(len(lengths))
    lengths = lengths[shuffled]

    bucketed = _padding(lengths, bucketed_order(lengths, 64, rng), 64)
    plain = _padding(lengths, np.arange(len(lengths)), 64)

    assert bucketed < plain / 4


def test_batch_order_changes_with_the_random_source() -> None:
    lengths = np.random.default_rng(3).integers(1, 50, size=2000)

    first = bucketed_order(lengths, 32, np.random.default_rng(10))
    second = bucketed_order(lengths, 32, np.random.default_rng(11))

    assert not np.array_equal(first, second)


def _model_data(lengths: list[int]) -> RasaModelData:
    features = 5
    sequences = FeatureArray(
        np.array(
            [scipy.sparse.random(n, features, density=0.5).tocoo() for n in lengths],
            dtype=object,
        ),
        number_of_dimensions=3,
    )
    sentences = FeatureArray(
        np.array(
            [scipy.sparse.random(1, features, density=0.5).tocoo() for _ in lengths],
            dtype=object,
        ),
        number_of_dimensions=3,
    )
    labels = FeatureArray(
        np.array([[i % 3] for i in range(len(lengths))]),
        number_of_dimensions=2,
    )
    return RasaModelData(
        label_key=LABEL,
        label_sub_key="ids",
        data={
            TEXT: {SEQUENCE: [sequences], SENTENCE: [sentences]},
            LABEL: {"ids": [labels]},
        },
    )


def test_the_generator_yields_every_example_in_batches_of_close_length() -> None:
    np.random.seed(0)
    lengths = [2, 3, 70, 2, 4, 65, 3, 2, 75, 5, 3, 2] * 8
    model_data = _model_data(lengths)

    generator = BucketedBatchDataGenerator(model_data, batch_size=8, epochs=1)

    seen: list[int] = []
    for index in range(len(generator)):
        batch = generator._data
        start = index * 8
        seen.extend(sequence_lengths(batch)[start : start + 8].tolist())  # type: ignore[index]
    assert sorted(seen) == sorted(lengths)
    padded = sum(
        max(seen[i : i + 8]) * len(seen[i : i + 8]) - sum(seen[i : i + 8])
        for i in range(0, len(seen), 8)
    )
    shuffled_padding = sum(max(lengths) - n for n in lengths) // 2
    assert padded < shuffled_padding


def test_rasa_builds_bucketed_generators_only_inside_the_block() -> None:
    model_data = _model_data([2, 5, 40, 3] * 4)

    with bucketed_training():
        inside, _ = rasa.utils.train_utils.create_data_generators(model_data, 4, 1)
    outside, _ = rasa.utils.train_utils.create_data_generators(model_data, 4, 1)

    assert isinstance(inside, BucketedBatchDataGenerator)
    assert not isinstance(outside, BucketedBatchDataGenerator)


def test_keras_feeds_the_batches_without_tf_data_autotuning_while_training() -> None:
    # Autotuning's thread held each training 40-50 s after its last epoch
    # (deleting the iterator waited for the thread's sleep); only while Rasa's
    # classifiers train, Keras's own behaviour elsewhere.
    import tensorflow as tf
    from keras.engine import data_adapter

    class Batches(tf.keras.utils.Sequence):
        def __len__(self) -> int:
            return 2

        def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
            return np.zeros((2, 3), dtype="float32"), np.zeros((2, 1), "float32")

    with bucketed_training():
        inside = data_adapter.KerasSequenceAdapter(Batches()).get_dataset()
    outside = data_adapter.KerasSequenceAdapter(Batches()).get_dataset()

    assert inside.options().autotune.enabled is False
    assert outside.options().autotune.enabled is not False
    assert len(list(inside)) == 2
