"""Grappler's setting: off for serving unless TF_GRAPH_OPTIMIZER=on."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.rasa_server.graph_optimizer import serve_without_graph_optimizer


@pytest.mark.parametrize("value", ["on", "1", "true", " ON "])
def test_on_keeps_grappler_without_touching_tensorflow(monkeypatch, value) -> None:
    monkeypatch.setitem(sys.modules, "tensorflow", None)  # importing it would fail

    assert serve_without_graph_optimizer({"TF_GRAPH_OPTIMIZER": value}) is False


def test_by_default_grappler_is_off_in_the_process() -> None:
    script = (
        "from bot.rasa_server.graph_optimizer import serve_without_graph_optimizer\n"
        "assert serve_without_graph_optimizer({}) is True\n"
        "import tensorflow as tf\n"
        "print(tf.config.optimizer.get_experimental_options())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert "'disable_meta_optimizer': True" in done.stdout
