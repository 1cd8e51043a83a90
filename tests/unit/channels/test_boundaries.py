import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PACKAGE = ROOT / "bot" / "wechat"
PROTOCOL_MODULES = sorted(PACKAGE.glob("*.py"))
BRIDGE = ROOT / "bot" / "rasa_server" / "channels" / "wechat.py"


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", PROTOCOL_MODULES, ids=lambda p: p.name)
def test_protocol_modules_import_neither_rasa_nor_sanic(path):
    assert not imported_roots(path) & {"rasa", "sanic", "rasa_sdk", "requests"}


def test_the_channel_module_is_the_bridge():
    assert {"rasa", "sanic"} <= imported_roots(BRIDGE)
