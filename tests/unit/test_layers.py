"""The ground floor (``bot/platform``) imports no other package of the project."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GROUND_FLOOR = ROOT / "bot" / "platform"
MODULES = sorted(GROUND_FLOOR.rglob("*.py"))


def project_imports(source: str, package: str) -> set[str]:
    """The ``bot``/``actions`` modules ``source`` imports, relative ones resolved.

    Args:
        source: A module's text.
        package: The dotted package the module sits in (``bot.platform``).
    """
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
    return {name for name in names if name.split(".")[0] in {"bot", "actions"}}


def upstairs(names: set[str]) -> set[str]:
    """The names that are not on the ground floor itself."""
    return {
        name
        for name in names
        if name != "bot.platform" and not name.startswith("bot.platform.")
    }


def test_the_ground_floor_has_modules() -> None:
    assert {p.name for p in MODULES} >= {"__init__.py", "db.py", "events.py"}


@pytest.mark.parametrize(
    "path", MODULES, ids=lambda p: str(p.relative_to(GROUND_FLOOR))
)
def test_ground_floor_module_imports_no_other_project_package(path: Path) -> None:
    package = ".".join(path.relative_to(ROOT).parent.parts)
    assert upstairs(project_imports(path.read_text("utf-8"), package)) == set()


@pytest.mark.parametrize(
    "source",
    [
        "from bot.analytics.events import EventRow",
        "import bot.backends.common.db",
        "import actions.clients.http",
        "from actions import returns",
        "from .. import chat",
        "from ..console import models",
        "def later():\n    from bot.platform.masking import mask_text\n",
    ],
)
def test_the_check_catches_an_import_from_upstairs(source: str) -> None:
    assert upstairs(project_imports(source, "bot.platform")) != set()


@pytest.mark.parametrize(
    "source",
    [
        "import sqlalchemy as sa",
        "from bot.platform.db import sync_url",
        "from . import conversation_ids",
        "from .events import events_table",
        "import botocore",
    ],
)
def test_the_check_lets_the_ground_floor_and_libraries_through(source: str) -> None:
    assert upstairs(project_imports(source, "bot.platform")) == set()
