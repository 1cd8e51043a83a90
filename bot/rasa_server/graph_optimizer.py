"""TensorFlow's graph optimizer (Grappler) left out of serving.

Each traced TensorFlow function is optimized by Grappler the first time it runs:
≈ 60 ms for DIET's prediction graph on the first message after a start, and
≈ 0.12 s while the models are loaded (each is run once to trace it). Our models'
prediction graphs are small and called on one message at a time; measured on
this machine a parse costs the same with and without the optimizer (4.07–4.26
against 4.12–4.21 ms, 50 parses, benchmarks/README.md), so serving skips it.
The intents of all 500 dev messages are the same; confidences differ by at most
1.2e-7 (float32 rounding, the same arithmetic in another order).

Training with ``rasa train`` (``make model``) keeps Grappler: the setting is made
by the launcher for ``run`` only. A training started through the server's HTTP
API (``POST /model/train``, with ``--enable-api``) runs inside the serving
process and so without Grappler: the same model up to float rounding, possibly
slower. ``TF_GRAPH_OPTIMIZER=on`` keeps Grappler for serving too.
"""

from __future__ import annotations

from collections.abc import Mapping

#: The environment variable that keeps Grappler on for serving.
SETTING = "TF_GRAPH_OPTIMIZER"


def serve_without_graph_optimizer(environ: Mapping[str, str]) -> bool:
    """Turn Grappler off for this process unless ``TF_GRAPH_OPTIMIZER=on``.

    Call before any TensorFlow function runs.

    Args:
        environ: The environment.

    Returns:
        Whether it was turned off.
    """
    if environ.get(SETTING, "").strip().lower() in {"on", "1", "true", "yes"}:
        return False
    import tensorflow as tf

    tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
    return True
