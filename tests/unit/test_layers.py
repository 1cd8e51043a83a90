"""Import layers: ``bot/platform`` imports no other package; only tests import tests."""

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
        "def later():\n    from bot.privacy.masking import mask_text\n",
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


# --- nothing outside tests/ imports tests ---------------------------------------

#: Top-level entries that are not the project's code (environments, artefacts).
NOT_CODE = {"tests", "build", "models", "var", "results", "node_modules"}


def project_python_files() -> list[Path]:
    """Every ``.py`` file of the project outside ``tests/`` (and hidden folders)."""
    files: list[Path] = []
    for entry in sorted(ROOT.iterdir()):
        if entry.name.startswith(".") or entry.name in NOT_CODE:
            continue
        if entry.is_file() and entry.suffix == ".py":
            files.append(entry)
        elif entry.is_dir():
            files.extend(sorted(entry.rglob("*.py")))
    return files


def imports_of_tests(source: str) -> set[str]:
    """The modules of the ``tests`` package that ``source`` imports, anywhere in it."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
    return {name for name in names if name.split(".")[0] == "tests"}


def test_the_walk_finds_the_tools_tests_and_benchmarks_use() -> None:
    found = {str(p.relative_to(ROOT)) for p in project_python_files()}
    assert found >= {
        "bot/devtools/wechat_simulator.py",
        "bot/devtools/processes.py",
        "benchmarks/load.py",
        "profiles/launch.py",
    }
    assert not any(name.startswith("tests/") for name in found)


def test_nothing_outside_tests_imports_tests() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(names)
        for path in project_python_files()
        if (names := imports_of_tests(path.read_text("utf-8")))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    "source",
    [
        "from tests.conftest import ROOT",
        "import tests.support.processes",
        "import os, tests",
        "from tests import conftest",
        "def later():\n    from tests.support.services import require_service\n",
    ],
)
def test_the_check_catches_an_import_of_tests(source: str) -> None:
    assert imports_of_tests(source) != set()


@pytest.mark.parametrize(
    "source",
    [
        "import pytest",
        "from testscenarios import generate",
        "from . import tests",
        "from bot.devtools.processes import free_port",
    ],
)
def test_the_check_lets_other_imports_through(source: str) -> None:
    assert imports_of_tests(source) == set()


def test_the_wechat_simulator_uses_none_of_the_projects_code() -> None:
    # It plays the platform: signing and encrypting with the channel's own code
    # would let a bug there pass unnoticed on both sides.
    path = ROOT / "bot" / "devtools" / "wechat_simulator.py"
    assert project_imports(path.read_text("utf-8"), "bot.devtools") == set()
