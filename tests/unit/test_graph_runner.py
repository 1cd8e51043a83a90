"""The ordered graph runner returns what dask's runner returns, on a small graph."""

from __future__ import annotations

from typing import Any

import pytest
from rasa.engine.exceptions import GraphComponentException, GraphRunError
from rasa.engine.graph import ExecutionContext, GraphComponent, GraphSchema, SchemaNode
from rasa.engine.runner.dask import DaskGraphRunner
from rasa.engine.storage.local_model_storage import LocalModelStorage

from bot.rasa_server.graph_runner import DASK_RUN, ordered_run


class Add(GraphComponent):
    """Adds its config's ``amount``; fails on negative numbers."""

    def __init__(self, amount: int) -> None:
        self.amount = amount

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: Any,
        resource: Any,
        execution_context: Any,
    ) -> Add:
        return cls(config["amount"])

    def add(self, x: int) -> int:
        if x < 0:
            raise ValueError("negative")
        return x + self.amount

    def combine(self, left: int, right: int) -> int:
        return left * 100 + right


def node(
    fn: str, needs: dict[str, str], amount: int = 0, target: bool = False
) -> SchemaNode:
    return SchemaNode(
        needs=needs,
        uses=Add,
        fn=fn,
        constructor_name="create",
        config={"amount": amount},
        is_target=target,
    )


@pytest.fixture
def runner(tmp_path) -> DaskGraphRunner:
    schema = GraphSchema(
        {
            "one": node("add", {"x": "__number__"}, 1),
            "two": node("add", {"x": "one"}, 2),
            "ten": node("add", {"x": "__number__"}, 10),
            "both": node("combine", {"left": "two", "right": "ten"}, target=True),
            "unused": node("add", {"x": "__other__"}, 5, target=True),
        }
    )
    return DaskGraphRunner(
        schema, LocalModelStorage(tmp_path), ExecutionContext(schema, "t")
    )


@pytest.mark.parametrize(
    ("inputs", "targets"),
    [
        ({"__number__": 1}, ["both"]),
        ({"__number__": 1}, ["two", "ten"]),
        ({"__number__": 1, "__other__": 7}, None),
        ({"__number__": 1, "__other__": 7, "unneeded": 3}, ["unused"]),
        ({"__number__": 1, "one": 50}, ["both"]),  # an input named like a node
    ],
)
def test_same_results_as_dask(runner, inputs, targets):
    assert ordered_run(runner, inputs, targets) == DASK_RUN(runner, inputs, targets)


def test_a_node_error_surfaces_as_with_dask(runner):
    errors = []
    for run in (DASK_RUN, ordered_run):
        with pytest.raises(GraphComponentException) as raised:
            run(runner, {"__number__": -5}, ["both"])
        errors.append((type(raised.value), type(raised.value.__cause__)))
    assert errors[0] == errors[1]


def test_an_input_value_naming_a_node_is_refused(runner):
    with pytest.raises(GraphRunError, match="clashes with a node name"):
        ordered_run(runner, {"__number__": "two"}, ["both"])
