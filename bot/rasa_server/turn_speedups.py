"""The levers that make a turn cheaper without changing its answers.

Each lever replaces a piece of Rasa 3.6 by one that gives the same results for
less CPU, and can be taken out again: ``benchmarks/turn_ab.py`` switches them
in one process, round after round, to measure each against Rasa's own (this
machine's speed varies too much between runs for before/after runs to show a
few milliseconds). The launcher installs them all for ``rasa run`` (a
training started through that server's HTTP API runs with them too: the same
results); ``TURN_SPEEDUPS=0`` leaves Rasa's (to compare a whole server).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

#: Lever name → (module, its install function, its uninstall function). The
#: modules import Rasa and TensorFlow: they are imported when a lever is
#: installed, not with this module (the launcher imports it before Rasa).
LEVERS: dict[str, tuple[str, str, str]] = {
    "ordered graph runner": (
        "bot.rasa_server.graph_runner",
        "install_ordered_graph_runner",
        "uninstall_ordered_graph_runner",
    ),
    "indexed rule lookup": (
        "bot.rasa_server.rule_index",
        "install_rule_index",
        "uninstall_rule_index",
    ),
    "memoization without memories": (
        "bot.rasa_server.empty_memoization",
        "install_empty_memoization",
        "uninstall_empty_memoization",
    ),
    "flat TensorFlow prediction call": (
        "bot.rasa_server.flat_predict_call",
        "install_flat_predict_call",
        "uninstall_flat_predict_call",
    ),
    "sparse features without hstack": (
        "bot.rasa_server.sparse_concat",
        "install_fast_sparse_concat",
        "uninstall_fast_sparse_concat",
    ),
    "features combined without a deep copy": (
        "bot.rasa_server.feature_combine",
        "install_shallow_feature_combine",
        "uninstall_shallow_feature_combine",
    ),
}


def install_lever(name: str) -> None:
    """Install the lever ``name`` (a key of ``LEVERS``)."""
    module, install, _ = LEVERS[name]
    getattr(importlib.import_module(module), install)()


def uninstall_lever(name: str) -> None:
    """Take the lever ``name`` out (Rasa's own piece back)."""
    module, _, uninstall = LEVERS[name]
    getattr(importlib.import_module(module), uninstall)()


def install_levers(environ: Mapping[str, str]) -> list[str]:
    """Install every lever unless ``TURN_SPEEDUPS=0``.

    Args:
        environ: The environment (``TURN_SPEEDUPS``).

    Returns:
        The names of the levers installed.
    """
    if environ.get("TURN_SPEEDUPS", "1") == "0":
        return []
    for name in LEVERS:
        install_lever(name)
    return list(LEVERS)


def uninstall_levers() -> None:
    """Take every lever out again (Rasa's own pieces back)."""
    for name in LEVERS:
        uninstall_lever(name)
