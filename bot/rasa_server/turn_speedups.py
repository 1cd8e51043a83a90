"""The levers that make a turn cheaper without changing its answers.

Each lever replaces a piece of Rasa 3.6 by one that gives the same results for
less CPU, and can be taken out again: ``benchmarks/turn_ab.py`` switches them
in one process, round after round, to measure each against Rasa's own (this
machine's speed varies too much between runs for before/after runs to show a
few milliseconds). The launcher installs them all for ``rasa run``;
``TURN_SPEEDUPS=0`` leaves Rasa's (to compare a whole server).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from bot.rasa_server.flat_predict_call import (
    install_flat_predict_call,
    uninstall_flat_predict_call,
)
from bot.rasa_server.graph_runner import (
    install_ordered_graph_runner,
    uninstall_ordered_graph_runner,
)
from bot.rasa_server.rule_index import install_rule_index, uninstall_rule_index

#: Lever name → (install, uninstall).
LEVERS: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {
    "ordered graph runner": (
        install_ordered_graph_runner,
        uninstall_ordered_graph_runner,
    ),
    "indexed rule lookup": (install_rule_index, uninstall_rule_index),
    "flat TensorFlow prediction call": (
        install_flat_predict_call,
        uninstall_flat_predict_call,
    ),
}


def install_levers(environ: Mapping[str, str]) -> list[str]:
    """Install every lever unless ``TURN_SPEEDUPS=0``.

    Args:
        environ: The environment (``TURN_SPEEDUPS``).

    Returns:
        The names of the levers installed.
    """
    if environ.get("TURN_SPEEDUPS", "1") == "0":
        return []
    for install, _ in LEVERS.values():
        install()
    return list(LEVERS)


def uninstall_levers() -> None:
    """Take every lever out again (Rasa's own pieces back)."""
    for _, uninstall in LEVERS.values():
        uninstall()
