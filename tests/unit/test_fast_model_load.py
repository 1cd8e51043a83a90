"""The Rasa server loads its TensorFlow models without tracing a training step.

The real models are compared with Rasa's own loading in
``tests/integration/nlu/test_fast_model_load.py``; here a stand-in shows the
order of the steps and when Rasa's own ``load`` still runs.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from bot.rasa_server.fast_model_load import install_fast_model_load

tf = pytest.importorskip("tensorflow")


class Model:
    """Stands in for Rasa's ``RasaModel``: records what loading does."""

    steps: ClassVar[list[Any]] = []

    def __init__(self, **kwargs: Any) -> None:
        self.config = kwargs.get("config", {})
        self._run_eagerly: bool | None = None
        self._tf_predict_step: Any = None
        self.steps.append("create")

    @classmethod
    def load(
        cls,
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> str:
        return "Rasa's own load"

    def compile(self, optimizer: Any, run_eagerly: bool | None) -> None:
        self._run_eagerly = run_eagerly

    def fit(self, data: Any, verbose: int) -> None:
        self.steps.append("fit")

    def batch_loss(self, batch: Any) -> Any:
        eagerly = tf.executing_eagerly()
        self.steps.append(("training loss", "eagerly" if eagerly else "traced", batch))
        return tf.constant(0.0)

    def load_weights(self, file_name: str) -> Any:
        steps = self.steps

        class Status:
            def expect_partial(self) -> None:
                steps.append(("load_weights", file_name, "optimizer state left out"))

        return Status()

    def predict_step(self, batch: Any) -> dict[str, Any]:
        features = batch[0]
        if self.config.get("branch_on_tensor"):
            # Python control flow on a tensor: only AutoGraph can trace this.
            if tf.reduce_sum(features) > 0:
                return {"out": features * 2}
            return {"out": features}
        return {"out": features * 2}

    @staticmethod
    def _dynamic_signature(batch: Any) -> list[list[Any]]:
        return [[tf.TensorSpec([None], tf.float32)]]

    def run_inference(self, data: Any) -> dict[str, Any]:
        if self._tf_predict_step is None:
            self.steps.append(("predict", "traced with AutoGraph"))
            function = tf.function(self.predict_step)
        else:
            self.steps.append(("predict", "traced without AutoGraph"))
            function = self._tf_predict_step
        return function([tf.constant([1.0, 2.0])])


@pytest.fixture
def model_class(monkeypatch: pytest.MonkeyPatch) -> type[Model]:
    import rasa.utils.tensorflow.data_generator as data_generator
    import rasa.utils.train_utils as train_utils

    class Fresh(Model):
        steps: ClassVar[list[Any]] = []

    monkeypatch.setattr(
        data_generator,
        "RasaBatchDataGenerator",
        lambda example, batch_size: [((f"{example}, batch of {batch_size}",), None)],
    )
    monkeypatch.setattr(
        train_utils,
        "create_data_generators",
        lambda **kwargs: ([([tf.constant([1.0, 2.0])], None)], None),
    )
    install_fast_model_load(Fresh)
    return Fresh


def test_weights_built_eagerly_then_loaded_then_prediction_traced(model_class):
    model = model_class.load("DIET.tf_model", "example", "predict example", config={})
    assert isinstance(model, model_class)
    assert model.steps == [
        "create",
        ("training loss", "eagerly", ("example, batch of 1",)),
        ("load_weights", "DIET.tf_model", "optimizer state left out"),
        ("predict", "traced without AutoGraph"),
    ]
    assert model._run_eagerly is None  # predictions go through the graph
    assert model.run_inference("x")["out"].numpy().tolist() == [2.0, 4.0]


def test_a_model_that_needs_autograph_is_traced_with_it(model_class):
    model = model_class.load(
        "DIET.tf_model", "example", "predict example", config={"branch_on_tensor": 1}
    )
    assert model.steps[-2:] == [
        ("predict", "traced without AutoGraph"),
        ("predict", "traced with AutoGraph"),
    ]


@pytest.mark.parametrize(
    ("finetune_mode", "config"),
    [(True, {}), (False, {"run_eagerly": True})],
    ids=["fine-tuning", "configured to run eagerly"],
)
def test_rasa_loads_when_fine_tuning_or_running_eagerly(
    model_class, finetune_mode, config
):
    loaded = model_class.load(
        "DIET.tf_model", "example", "predict example", finetune_mode, config=config
    )
    assert loaded == "Rasa's own load"
    assert model_class.steps == []


def test_installed_once(model_class):
    replaced = model_class.__dict__["load"]
    install_fast_model_load(model_class)
    assert model_class.__dict__["load"] is replaced
