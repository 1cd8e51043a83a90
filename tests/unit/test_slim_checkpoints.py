"""Checkpoints saved for training hold the layers' weights, not Adam's state.

A small Keras model stands in for Rasa's ``RasaModel`` (whose ``save`` is
``save_weights(..., save_format="tf")``); the session's trained model is
checked in ``tests/integration/nlu/test_slim_model.py`` and loaded both ways
in ``tests/integration/nlu/test_fast_model_load.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.rasa_server.slim_checkpoints import install_slim_checkpoints

tf = pytest.importorskip("tensorflow")


def _model_class() -> Any:
    """A fresh class per test, so installing on it leaves other tests alone."""

    class Model(tf.keras.Model):  # type: ignore[name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.hidden = tf.keras.layers.Dense(64)
            self.out = tf.keras.layers.Dense(4)

        def call(self, inputs: Any) -> Any:
            return self.out(self.hidden(inputs))

        def save(self, model_file_name: str, overwrite: bool = True) -> None:
            self.save_weights(model_file_name, overwrite=overwrite, save_format="tf")

    return Model


def _trained(model_class: Any) -> tuple[Any, np.ndarray]:
    rng = np.random.default_rng(3)
    inputs = rng.random((16, 32), dtype=np.float32)
    model = model_class()
    model.compile(optimizer=tf.keras.optimizers.Adam(), loss="mse")
    model.fit(inputs, rng.random((16, 4), dtype=np.float32), epochs=2, verbose=0)
    return model, inputs


def _saved_names(prefix: Path) -> list[str]:
    return [name for name, _ in tf.train.list_variables(str(prefix))]


def _data_bytes(prefix: Path) -> int:
    return sum(p.stat().st_size for p in prefix.parent.glob(prefix.name + ".data-*"))


def test_the_checkpoint_leaves_adams_state_out(tmp_path: Path) -> None:
    plain_class, slim_class = _model_class(), _model_class()
    install_slim_checkpoints(slim_class)
    plain, _ = _trained(plain_class)
    slim, _ = _trained(slim_class)
    plain.save(str(tmp_path / "plain" / "model"))
    slim.save(str(tmp_path / "slim" / "model"))

    plain_names = _saved_names(tmp_path / "plain" / "model")
    slim_names = _saved_names(tmp_path / "slim" / "model")
    assert any(name.startswith("optimizer/") for name in plain_names)
    assert not any(name.startswith("optimizer/") for name in slim_names)
    assert {n for n in plain_names if not n.startswith("optimizer/")} == set(slim_names)
    assert (
        _data_bytes(tmp_path / "slim" / "model")
        < _data_bytes(tmp_path / "plain" / "model") / 2
    )
    # Only while saving: the model still trains with its optimizer afterwards.
    assert "optimizer" in slim._trackable_children()


@pytest.mark.parametrize("rasa_way", [False, True])
def test_a_slim_checkpoint_loads_to_the_same_predictions(
    tmp_path: Path, rasa_way: bool
) -> None:
    model_class = _model_class()
    install_slim_checkpoints(model_class)
    model, inputs = _trained(model_class)
    model.save(str(tmp_path / "model"))

    loaded = model_class()
    loaded.compile(optimizer=tf.keras.optimizers.Adam(), loss="mse")
    if rasa_way:  # Rasa's own load: one training step first, then the weights
        loaded.fit(inputs[:1], np.zeros((1, 4), dtype=np.float32), verbose=0)
        loaded.load_weights(str(tmp_path / "model"))
    else:  # the server's: weights made without the optimizer, partial read
        loaded(inputs[:1])
        loaded.load_weights(str(tmp_path / "model")).expect_partial()
    np.testing.assert_array_equal(loaded(inputs).numpy(), model(inputs).numpy())


def test_installing_twice_wraps_once() -> None:
    model_class = _model_class()
    install_slim_checkpoints(model_class)
    save = model_class.save
    install_slim_checkpoints(model_class)
    assert model_class.save is save
