"""Save DIET's, the ResponseSelector's and TED's weights without Adam's state.

Rasa 3.6 persists its TensorFlow models with ``RasaModel.save``, which is
``save_weights(..., save_format="tf")``: a TensorFlow checkpoint of everything
the compiled model tracks, the optimizer included. Adam keeps two moments per
weight, so two thirds of each checkpoint (DIET 41 MB, the selector 39 MB) are
optimizer state that only a continued training would read, and the model
archive is 49 MB, most of it packed with gzip at level 9 at the end of every
training.

Installed for training (``python -m bot.rasa_server train``, what ``make model``
runs), the save leaves the optimizer out of the checkpoint; the layers' weights
are saved exactly as before. Both loaders read such a checkpoint:

- the server's (``bot.rasa_server.fast_model_load``) never creates optimizer
  weights and already reads the archive with ``expect_partial``;
- Rasa's own ``load`` (a one-step ``fit``, then ``load_weights``) restores every
  layer and leaves the optimizer as its one step made it.

So every parse is unchanged (``tests/integration/nlu/test_fast_model_load.py``
compares Rasa's loading of the session's model with the server's). What is
given up: ``rasa train --finetune`` from such a model starts Adam's moments
from zero instead of from where the last training stopped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

#: Set on the model class once the change is installed.
_MARK = "_xiaoke_slim_checkpoints"
#: Set on a model instance while ``save`` runs.
_SAVING = "_xiaoke_saving_without_optimizer"
#: The tracked attribute Keras names the optimizer by.
OPTIMIZER = "optimizer"


@contextlib.contextmanager
def _saving_without_optimizer(model: Any) -> Iterator[None]:
    setattr(model, _SAVING, True)
    try:
        yield
    finally:
        with contextlib.suppress(AttributeError):
            delattr(model, _SAVING)


def install_slim_checkpoints(model_class: Any = None) -> None:
    """Make ``model_class.save`` write checkpoints without the optimizer.

    Args:
        model_class: The Keras model class to change; Rasa's ``RasaModel`` by
            default (a stand-in in tests).
    """
    if model_class is None:
        from rasa.utils.tensorflow.models import RasaModel

        model_class = RasaModel
    if getattr(model_class, _MARK, False):
        return
    original_save = model_class.save
    original_children = model_class._trackable_children

    def save(self: Any, *args: Any, **kwargs: Any) -> None:
        with _saving_without_optimizer(self):
            original_save(self, *args, **kwargs)

    def _trackable_children(
        self: Any, save_type: str = "checkpoint", **kwargs: Any
    ) -> dict[str, Any]:
        children = original_children(self, save_type, **kwargs)
        if getattr(self, _SAVING, False):
            children = {k: v for k, v in children.items() if k != OPTIMIZER}
        return children

    model_class.save = save
    model_class._trackable_children = _trackable_children
    setattr(model_class, _MARK, True)
