"""Load DIET, the ResponseSelector and TED without tracing a training step.

Rasa 3.6 loads its TensorFlow models (``RasaModel.load``) by creating an empty
model, training it on one example to create every weight (``model.fit``),
overwriting the weights from the model archive and predicting once on an
example, which traces the prediction graph. Two costs dominate the Rasa
server's start-up (benchmarks/README.md, "Start-up"):

- ``fit`` first traces the whole training step (forward pass, gradients, Adam's
  update) into a TensorFlow graph, which a server never runs again, then runs
  it. Here only the training step's loss is computed, eagerly, on the example:
  that creates every weight of the model, and all of them are then read from
  the archive as before. Adam's state in the archive is not read (a server
  never trains), so no optimizer weights are made for it.
- Tracing the prediction graph converts the source of every layer with
  AutoGraph (parsing and rewriting Python), most of the tracing time. The
  prediction step has no Python control flow on tensors, so it is traced
  without AutoGraph; the graph computes the same operations. Should a model
  ever need AutoGraph (tracing fails without it), it is traced with it, as Rasa
  does.

What the models predict is unchanged (``tests/integration/nlu/
test_fast_model_load.py`` compares every output with Rasa's own loading).
Fine-tuning (``finetune_mode``) and models configured to run eagerly keep
Rasa's own ``load``.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

#: Set on ``RasaModel`` once the replacement is installed.
_MARK = "_xiaoke_fast_load"


def _trace_prediction_without_autograph(model: Any, predict_data_example: Any) -> None:
    """Trace ``predict_step`` as ``RasaModel._rasa_predict`` would, minus AutoGraph."""
    import tensorflow as tf
    from rasa.utils.train_utils import create_data_generators

    # The first batch fixes the signature, as in RasaModel._rasa_predict.
    generator, _ = create_data_generators(
        model_data=predict_data_example, batch_sizes=1, epochs=1, shuffle=False
    )
    first_batch = next(iter(generator))[0]
    model._tf_predict_step = tf.function(
        model.predict_step,
        input_signature=model._dynamic_signature(first_batch),
        autograph=False,
    )
    try:
        model.run_inference(predict_data_example)
    except Exception:
        # Any tracing error: trace as Rasa does, with AutoGraph.
        logger.info("%s needs AutoGraph: traced with it", type(model).__name__)
        model._tf_predict_step = None
        model.run_inference(predict_data_example)


def install_fast_model_load(model_class: Any = None) -> None:
    """Make ``RasaModel.load`` build weights eagerly and trace without AutoGraph.

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
        from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY

        config = kwargs.get("config", {})
        if finetune_mode or config.get(RUN_EAGERLY):
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
        from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator

        model = cls(*args, **kwargs)
        model.compile(
            optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
            run_eagerly=config.get(RUN_EAGERLY),
        )
        # The training step's loss on one example creates every weight of the
        # model (as Rasa's one-step fit does), eagerly and without gradients.
        example_batch = RasaBatchDataGenerator(model_data_example, batch_size=1)[0][0]
        model._training = True
        model.batch_loss(example_batch)
        # The archive also holds Adam's state, which only training would use.
        model.load_weights(model_file_name).expect_partial()
        if predict_data_example:
            _trace_prediction_without_autograph(model, predict_data_example)
        return model

    model_class.load = classmethod(load)
    setattr(model_class, _MARK, True)
