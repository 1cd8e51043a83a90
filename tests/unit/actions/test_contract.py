"""The contract a flow implements knows no feature: it imports none, even indirectly."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
#: What the contract is built from: shared plumbing, the backend clients and the
#: identity questions every flow's form starts with. Everything else in
#: ``actions/`` is a feature.
BUILT_FROM = ("actions.common", "actions.binding", "actions.identity")


def is_feature(module: str) -> bool:
    """Whether ``module`` is a feature module of ``actions/``."""
    return (
        module.startswith("actions.")
        and module != "actions.contract"
        and module not in BUILT_FROM
        and not f"{module}.".startswith("actions.clients.")
    )


def actions_imports(source: str) -> set[str]:
    """The ``actions.*`` modules ``source`` imports (``from actions import x`` too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module == "actions":
            names.update(f"actions.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom):
            raise AssertionError("a relative import: spell the module out")
    return {name for name in names if name.startswith("actions.")}


def source_of(module: str) -> str:
    path = ROOT.joinpath(*module.split("."))
    file = path / "__init__.py" if path.is_dir() else path.with_suffix(".py")
    return file.read_text("utf-8")


def reached_from(module: str) -> set[str]:
    """Every ``actions.*`` module ``module`` imports, directly or through others."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        for name in actions_imports(source_of(todo.pop())) - seen:
            seen.add(name)
            todo.append(name)
    return seen


def test_the_contract_is_built_from_plumbing_and_identity_only() -> None:
    reached = reached_from("actions.contract")
    assert "actions.identity" in reached  # the walk does look inside modules
    assert {module for module in reached if is_feature(module)} == set()


@pytest.mark.parametrize(
    ("source", "features"),
    [
        ("from actions.satisfaction import RATING_BUTTONS", {"actions.satisfaction"}),
        ("from actions import warranty", {"actions.warranty"}),
        ("import actions.delivery", {"actions.delivery"}),
        ("from actions.clients.errors import NotFound", set()),
        ("from actions.common import FLOW_STOP", set()),
    ],
)
def test_a_feature_import_is_recognised(source: str, features: set[str]) -> None:
    found = actions_imports(source)
    assert {module for module in found if is_feature(module)} == features
