"""Error middleware and import boundaries."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.backends.common.http import base_app

ROOT = Path(__file__).resolve().parents[3]


async def test_unexpected_error_is_json_500_without_traceback() -> None:
    app = base_app("secret-token")

    async def boom(_request: web.Request) -> web.Response:
        raise RuntimeError("database password is hunter2")

    app.router.add_get("/boom", boom)
    async with TestClient(TestServer(app)) as client:
        response = await client.get(
            "/boom", headers={"Authorization": "Bearer secret-token"}
        )
        body = await response.json()
    assert response.status == 500
    assert body == {
        "error": {"code": "internal_error", "message": "internal server error"}
    }


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def forbidden(names: set[str], prefixes: tuple[str, ...]) -> set[str]:
    return {n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes)}


@pytest.mark.parametrize(
    "path", sorted((ROOT / "actions" / "clients").glob("*.py")), ids=lambda p: p.name
)
def test_clients_import_neither_rasa_sdk_nor_backends(path: Path) -> None:
    assert not forbidden(imports_of(path), ("rasa_sdk", "rasa", "bot", "sqlalchemy"))


@pytest.mark.parametrize(
    "path",
    sorted(
        [
            p
            for service in ("orders", "crm")
            for name in ("models", "repository", "rules", "service")
            for p in [ROOT / "bot" / "backends" / service / f"{name}.py"]
        ]
        + [ROOT / "bot" / "backends" / "crm" / "membership.py"]
    ),
    ids=lambda p: f"{p.parent.name}/{p.name}",
)
def test_inner_layers_do_not_know_http(path: Path) -> None:
    assert not forbidden(imports_of(path), ("aiohttp",))


@pytest.mark.parametrize(
    "path",
    sorted(ROOT.glob("bot/backends/*/rules.py")),
    ids=lambda p: p.parent.name,
)
def test_rules_know_no_database(path: Path) -> None:
    assert not forbidden(
        imports_of(path),
        (
            "sqlalchemy",
            "aiohttp",
            "bot.backends.orders.models",
            "bot.backends.crm.models",
        ),
    )
