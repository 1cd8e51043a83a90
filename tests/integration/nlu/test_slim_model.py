"""``make model``'s archive holds the TensorFlow weights without Adam's state.

``make model`` trains through the launcher, which saves checkpoints without
the optimizer (``bot.rasa_server.slim_checkpoints``); the same model is loaded
both by Rasa's code and the server's in ``test_fast_model_load.py``.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.model


def test_the_archives_checkpoints_hold_no_optimizer(
    model_path: Path, tmp_path: Path
) -> None:
    import tensorflow as tf

    with tarfile.open(model_path) as archive:
        members = [m for m in archive.getmembers() if ".tf_model." in m.name]
        archive.extractall(tmp_path, members=members)
    prefixes = {
        str(tmp_path / m.name).split(".tf_model.")[0] + ".tf_model" for m in members
    }
    assert len(prefixes) >= 2  # DIET and the ResponseSelector (TED has no data here)
    for prefix in prefixes:
        names = [name for name, _ in tf.train.list_variables(prefix)]
        assert any("kernel" in name for name in names), prefix
        assert not [name for name in names if name.startswith("optimizer/")], prefix
