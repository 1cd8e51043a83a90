"""Build a loaded model's weights without tracing TensorFlow's training step.

Rasa 3.6 loads DIET, the ResponseSelector and TED (``RasaModel.load``) by
creating an empty model, training it on one example to create every weight
(``model.fit``), then overwriting the weights from the model archive and
predicting once on an example. ``fit`` first traces the whole training step
(forward pass, gradients, Adam's update) into a TensorFlow graph: about two
thirds of the Rasa server's start-up went there (benchmarks/README.md,
"Start-up"), for a graph that a server never runs again.

Here that one step runs eagerly instead: the same weights and optimizer slots
are created, all of them are then overwritten from the archive as before, and
the prediction graph is traced as before, so what the model predicts is
unchanged. Fine-tuning (``finetune_mode``) keeps Rasa's own ``load``.
"""

from __future__ import annotations

from typing import Any

#: Set on ``RasaModel`` once the replacement is installed.
_MARK = "_xiaoke_eager_load"


def install_eager_model_load(model_class: Any = None) -> None:
    """Make ``RasaModel.load`` run its weight-building step eagerly.

    Args:
        model_class: The class to change; Rasa's ``RasaModel`` by default (a
            stand-in in tests).
    """
    if model_class is None:
        from rasa.utils.tensorflow.models import RasaModel

        model_class = RasaModel
    if getattr(model_class, _MARK, False):
        return
    original_load = model_class.load.__func__

    def load(
        cls: Any,
        model_file_name: str,
        model_data_example: Any,
        predict_data_example: Any = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        if finetune_mode:
            return original_load(
                cls,
                model_file_name,
                model_data_example,
                predict_data_example,
                finetune_mode,
                *args,
                **kwargs,
            )
        import tensorflow as tf
        from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
        from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

        model = cls(*args, **kwargs)
        config = kwargs.get("config", {})
        learning_rate = config.get(LEARNING_RATE, 0.001)
        # One training step on one example creates every weight (as in Rasa),
        # eagerly: no graph is traced for a step that never runs again.
        model.compile(
            optimizer=tf.keras.optimizers.Adam(learning_rate), run_eagerly=True
        )
        model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=0)
        # Predictions go through a traced graph, unless the model's own config
        # asks for eager execution (Rasa's run_eagerly option).
        model.compile(optimizer=model.optimizer, run_eagerly=config.get(RUN_EAGERLY))
        model.load_weights(model_file_name)
        if predict_data_example:
            model.run_inference(predict_data_example)
        return model

    model_class.load = classmethod(load)
    setattr(model_class, _MARK, True)
