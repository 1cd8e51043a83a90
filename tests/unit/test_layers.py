"""No package imports one that sits above it (the layers of STYLE.md).

The ground floor (``bot.platform``) imports no other package of the project;
``bot.privacy`` (the anonymisation rules) stands on it alone; the NLU
components, the backends, the channels, the analytics and the actions each
stay clear of the packages that use them. The console borrows one thing from a
sibling, the backend clients of ``actions.clients`` (their HTTP calls, never the
reference backends themselves: a merchant may delete ``bot/backends``). Lazy
imports inside functions count too.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Floor:
    """What one package may not import.

    Attributes:
        package: The dotted package (``bot.platform``).
        forbidden: Prefixes it must not import (``bot`` covers every module of it).
        allowed: Exceptions to ``forbidden``; the package itself always is one.
    """

    package: str
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()

    def violations(self, names: set[str]) -> set[str]:
        """The names among ``names`` that this package may not import."""
        allowed = (self.package, *self.allowed)
        return {
            name
            for name in names
            if under(name, self.forbidden) and not under(name, allowed)
        }

    def modules(self) -> list[Path]:
        """The package's source files."""
        return sorted(ROOT.joinpath(*self.package.split(".")).rglob("*.py"))


UPSTAIRS = ("bot.console", "bot.maintenance")
FLOORS = (
    Floor("bot.platform", forbidden=("bot", "actions")),
    Floor("bot.privacy", forbidden=("bot", "actions"), allowed=("bot.platform",)),
    Floor(
        "bot.rasa_server.nlu",
        forbidden=(
            "actions",
            "bot.backends",
            "bot.rasa_server.channels",
            "bot.wechat",
            "bot.wecom",
            "bot.analytics",
            *UPSTAIRS,
        ),
    ),
    Floor(
        "bot.backends",
        forbidden=(
            "actions",
            "bot.rasa_server.channels",
            "bot.wechat",
            "bot.wecom",
            "bot.analytics",
            "bot.rasa_server.nlu",
            *UPSTAIRS,
        ),
    ),
    Floor(
        "bot.rasa_server.channels",
        forbidden=("actions", "bot.backends", "bot.analytics", *UPSTAIRS),
    ),
    # The WeChat platform's protocol: neither Rasa nor Sanic, no feature package.
    Floor(
        "bot.wechat",
        forbidden=("rasa", "sanic", "bot", "actions"),
        allowed=("bot.platform", "bot.wechat"),
    ),
    # 微信客服 (WeCom kf): the same, borrowing only the Official Account's
    # WeChat-family pieces (dedup store, numbered menu, rendering of bot messages).
    Floor(
        "bot.wecom",
        forbidden=("rasa", "sanic", "bot", "actions"),
        allowed=(
            "bot.platform",
            "bot.wecom",
            "bot.wechat.dedup",
            "bot.wechat.menu",
            "bot.wechat.replies",
        ),
    ),
    Floor("bot.analytics", forbidden=("actions", "bot.backends", *UPSTAIRS)),
    Floor(
        "actions",
        forbidden=(
            "bot.backends",
            "bot.rasa_server.channels",
            "bot.wechat",
            "bot.wecom",
            "bot.analytics",
            *UPSTAIRS,
        ),
    ),
    # The one allowed cross-import: the customer panel's order and CRM clients
    # (docs/architecture.md, "who imports whom").
    Floor(
        "bot.console",
        forbidden=(
            "actions",
            "bot.backends",
            "bot.rasa_server",
            "bot.maintenance",
            "bot.scaffold",
            "bot.devtools",
        ),
        allowed=("actions.clients",),
    ),
)
CHECKED = [
    pytest.param(floor, path, id=str(path.relative_to(ROOT)))
    for floor in FLOORS
    for path in floor.modules()
]


def under(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether the dotted ``name`` is one of ``prefixes`` or inside one."""
    return any(name == prefix or name.startswith(f"{prefix}.") for prefix in prefixes)


def imported_names(source: str, package: str) -> set[str]:
    """What ``source`` imports, relative imports resolved.

    ``from a.b import c`` gives ``a.b.c`` (``c`` may be a module or a name in
    ``a.b``: prefixes match either way).

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
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def package_of(path: Path) -> str:
    """The dotted package a source file sits in (an ``__init__`` its own)."""
    return ".".join(path.relative_to(ROOT).parent.parts)


@pytest.mark.parametrize("floor", FLOORS, ids=lambda floor: floor.package)
def test_every_checked_package_has_modules(floor: Floor) -> None:
    assert any(path.name != "__init__.py" for path in floor.modules())


@pytest.mark.parametrize(("floor", "path"), CHECKED)
def test_module_imports_nothing_from_upstairs(floor: Floor, path: Path) -> None:
    names = imported_names(path.read_text("utf-8"), package_of(path))
    assert floor.violations(names) == set()


def floor_of(package: str) -> Floor:
    """The checked package ``package`` sits in."""
    return next(floor for floor in FLOORS if under(package, (floor.package,)))


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("bot.platform", "from bot.analytics.events import EventRow"),
        ("bot.platform", "import bot.backends.common.db"),
        ("bot.platform", "import actions.clients.http"),
        ("bot.platform", "from actions import returns"),
        ("bot.platform", "from .. import chat"),
        ("bot.platform", "from ..console import models"),
        ("bot.platform", "from bot import privacy"),
        ("bot.platform", "def later():\n    from bot.privacy import anonymise\n"),
        ("bot.privacy", "from bot.console.models import handoffs"),
        ("bot.privacy", "from ..analytics import metrics"),
        ("bot.privacy", "import bot.backends.orders.models"),
        ("bot.rasa_server.nlu", "from actions.clients.orders import OrdersClient"),
        ("bot.rasa_server.nlu", "import bot.backends.crm.repository"),
        ("bot.backends", "from bot.console.models import handoffs"),
        ("bot.backends", "from bot.analytics import metrics"),
        ("bot.backends", "from bot.wechat import client"),
        ("bot.backends", "from actions.clients import http"),
        ("bot.backends.orders", "from ...console import config"),
        ("bot.analytics", "from bot.console.config import ConsoleSettings"),
        ("bot.analytics", "from bot import console"),
        ("bot.wechat", "from bot.console import models"),
        ("bot.wecom", "from bot.rasa_server.channels import wechat"),
        ("bot.wecom", "from rasa.core.channels.channel import UserMessage"),
        ("bot.wecom", "from bot.wechat.client import WeChatApiClient"),
        ("actions", "from bot.backends.orders import repository"),
        ("bot.console", "from bot.backends.common.db import create_async_engine"),
        ("bot.console", "import bot.backends"),
        ("bot.console", "from actions.returns import ActionRequestReturn"),
        ("bot.console", "from actions import delivery"),
        ("bot.console", "from actions.clients_old import OrdersClient"),
        ("bot.console", "from bot.maintenance import conversation_ids"),
        ("bot.console.migrations", "from ...backends.orders import models"),
    ],
)
def test_the_check_catches_an_import_from_upstairs(package: str, source: str) -> None:
    floor = floor_of(package)
    assert floor.violations(imported_names(source, package)) != set()


@pytest.mark.parametrize(
    ("package", "source"),
    [
        ("bot.platform", "import sqlalchemy as sa"),
        ("bot.platform", "from bot.platform.db import sync_url"),
        ("bot.platform", "from . import conversation_ids"),
        ("bot.platform", "from .events import events_table"),
        ("bot.platform", "import botocore"),
        ("bot.privacy", "from bot.platform.masking import mask_data"),
        ("bot.privacy", "from .anonymise import erase_event"),
        ("bot.rasa_server.nlu", "from rasa.engine.graph import GraphComponent"),
        ("bot.backends", "from bot.platform.logs import install_log_masking"),
        ("bot.backends.orders", "from ..common import settings"),
        ("bot.analytics", "from bot.platform.events import events_table"),
        (
            "bot.rasa_server.channels",
            "from bot.platform.conversation_ids import identity_of",
        ),
        ("bot.wechat", "from bot.platform.settings import positive_float"),
        ("bot.wechat", "from bot.wechat.errors import ConfigurationError"),
        ("actions", "from bot.platform.conversation_ids import identity_of"),
        ("actions", "import bot_helpers"),
        ("bot.console", "from actions.clients.errors import BackendError"),
        ("bot.console", "from actions import clients"),
        ("bot.console", "from bot.analytics.metrics import Report"),
        ("bot.console", "from bot.privacy.anonymise import erase_conversation"),
    ],
)
def test_the_check_lets_lower_floors_and_libraries_through(
    package: str, source: str
) -> None:
    floor = floor_of(package)
    assert floor.violations(imported_names(source, package)) == set()


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


@pytest.mark.parametrize(
    "module", ["wechat_simulator", "wechat_platform_api", "wechat_simulator_cli"]
)
def test_the_wechat_simulator_uses_none_of_the_projects_code(module: str) -> None:
    # It plays the platform: signing and encrypting with the channel's own code
    # would let a bug there pass unnoticed on both sides. Its modules may use
    # each other only.
    path = ROOT / "bot" / "devtools" / f"{module}.py"
    names = imported_names(path.read_text("utf-8"), "bot.devtools")
    own = (
        "bot.devtools.wechat_simulator",
        "bot.devtools.wechat_platform_api",
        "bot.devtools.wechat_simulator_cli",
    )
    assert {
        name
        for name in names
        if under(name, ("bot", "actions")) and not under(name, own)
    } == set()
