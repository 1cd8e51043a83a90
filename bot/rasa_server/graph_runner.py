"""Run Rasa's prediction graphs in a fixed order instead of through dask.

Rasa 3.6 runs every message's NLU graph and every next-action prediction
through ``DaskGraphRunner.run``, which per call rebuilds the minimal schema for
the targets (a recursive walk that revisits shared dependencies), formats its
inputs into a debug f-string whatever the log level (the tracker's and the
message's ``repr``), builds a dask graph and lets dask's synchronous scheduler
order and run it. Measured with ``benchmarks.profile_turn`` and py-spy that was
about a tenth of a turn's CPU outside the graph nodes themselves.

``ordered_run`` replaces ``DaskGraphRunner.run``: it computes, once per runner
and set of targets, the nodes those targets need in an order where every node
comes after what it needs, then calls the same ``GraphNode`` objects one after
the other with the same arguments dask would pass. Results, errors and the
input-name check are Rasa's. The launcher installs it for ``rasa run`` only
(``rasa train`` keeps dask; a training started through the server's HTTP API runs
in that process, with it). Independent nodes may run in another order than
dask's; the graphs' nodes do not change what they share.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

logger = logging.getLogger(__name__)

#: One step of a plan: node name and the names of what it needs, in order.
Step = tuple[str, tuple[str, ...]]
#: The original ``DaskGraphRunner.run`` (to compare; ``uninstall``).
DASK_RUN = DaskGraphRunner.run


def plan(runner: DaskGraphRunner, targets: tuple[str, ...]) -> tuple[Step, ...]:
    """The nodes ``targets`` need, each after its own needs (cached per runner).

    Args:
        runner: The runner whose schema is planned.
        targets: Node names whose results are wanted.

    Returns:
        ``(node name, names it needs)`` for every node to run, in order.

    Raises:
        GraphRunError: The schema has a cycle.
    """
    plans: dict[tuple[str, ...], tuple[Step, ...]] = runner.__dict__.setdefault(
        "_xiaoke_plans", {}
    )
    cached = plans.get(targets)
    if cached is not None:
        return cached
    nodes = runner._graph_schema.nodes
    order: list[Step] = []
    placed: set[str] = set()

    def place(name: str, path: tuple[str, ...]) -> None:
        if name in placed or name not in nodes:
            return  # done already, or an input placeholder
        if name in path:
            raise GraphRunError(f"The graph has a cycle through '{name}'.")
        needs = tuple(nodes[name].needs.values())
        for need in needs:
            place(need, (*path, name))
        placed.add(name)
        order.append((name, needs))

    for target in targets:
        place(target, ())
    plans[targets] = tuple(order)
    return plans[targets]


def ordered_run(
    self: DaskGraphRunner,
    inputs: dict[str, Any] | None = None,
    targets: list[str] | None = None,
) -> dict[str, Any]:
    """``DaskGraphRunner.run`` without dask (the same contract and results).

    Args:
        self: The runner.
        inputs: Placeholder values by name (the tracker, the message).
        targets: Nodes whose results are returned (all targets if empty).

    Returns:
        The targets' results by node name.

    Raises:
        GraphRunError: An input is named like a node, or a node raised a
            ``RuntimeError``; other errors of a node propagate, as with dask.
    """
    run_targets = tuple(targets if targets else self._graph_schema.target_names)
    steps = plan(self, run_targets)
    values: dict[str, Any] = {}
    provided = set(inputs or {})
    for name, value in (inputs or {}).items():
        if isinstance(value, str) and value in self._graph_schema.nodes:
            raise GraphRunError(
                f"Input value '{value}' clashes with a node name. Make sure "
                f"that none of the input names passed to the `run` method are the "
                f"same as node names in the graph schema."
            )
        values[name] = (name, value)
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "Running graph with inputs %s, targets %s and %s.",
            sorted(values),
            list(run_targets),
            self._execution_context,
        )
    nodes = self._instantiated_nodes
    try:
        for name, needs in steps:
            if name in provided:
                continue  # an input named like a node replaces it, as in dask
            # dask passes a need that names no task as the literal string
            values[name] = nodes[name](*(values.get(need, need) for need in needs))
    except RuntimeError as error:
        raise GraphRunError("Error running runner.") from error
    # each node returns (its name, its output), as dask's results do
    return dict(values[target] for target in run_targets)


def install_ordered_graph_runner() -> None:
    """Run every ``DaskGraphRunner`` (loaded or not) with ``ordered_run``."""
    DaskGraphRunner.run = ordered_run


def uninstall_ordered_graph_runner() -> None:
    """Back to dask (benchmarks compare both in one process)."""
    DaskGraphRunner.run = DASK_RUN
