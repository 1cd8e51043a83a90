"""Process helpers for tests and benchmarks: free ports, the backends' environment."""

from __future__ import annotations

import socket
from pathlib import Path

from bot.backends.common.settings import TOKEN_ENV
from bot.devtools.processes import backend_env, free_port


def test_a_free_port_can_be_listened_on() -> None:
    port = free_port()
    assert 1024 <= port <= 65535
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))
        sock.listen()


def test_backend_environment_points_services_and_clients_at_the_same_places(
    tmp_path: Path,
) -> None:
    env = backend_env(tmp_path, 18001, 18002, "secret-token")
    assert env == {
        TOKEN_ENV: "secret-token",
        "ORDERS_PORT": "18001",
        "CRM_PORT": "18002",
        "ORDERS_URL": "http://127.0.0.1:18001",
        "CRM_URL": "http://127.0.0.1:18002",
        "ORDERS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/orders.db",
        "CRM_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/crm.db",
    }
