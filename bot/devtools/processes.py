"""Helpers for starting the assistant's processes locally: ports and environments.

Tests (``tests/support``, ``tests/e2e``) and benchmarks (``benchmarks/``) start
the same processes; they take these from here so that neither imports the other.
"""

from __future__ import annotations

import socket
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    Returns:
        The port number the operating system picked.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def backend_env(
    workdir: Path, orders_port: int, crm_port: int, token: str
) -> dict[str, str]:
    """The environment of the order and CRM services on SQLite, and how to reach them.

    The services (``python -m bot.backends.orders`` / ``… crm``) read their port
    and database from it; the action server reads the URLs and the token.

    Args:
        workdir: Where the SQLite files ``orders.db`` and ``crm.db`` go.
        orders_port: The order service's port on 127.0.0.1.
        crm_port: The CRM service's port on 127.0.0.1.
        token: ``BACKEND_API_TOKEN``, which both services require.

    Returns:
        ``BACKEND_API_TOKEN``, ``ORDERS_*`` and ``CRM_*`` (port, URL, database).
    """
    return {
        "BACKEND_API_TOKEN": token,
        "ORDERS_PORT": str(orders_port),
        "CRM_PORT": str(crm_port),
        "ORDERS_URL": f"http://127.0.0.1:{orders_port}",
        "CRM_URL": f"http://127.0.0.1:{crm_port}",
        "ORDERS_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'orders.db'}",
        "CRM_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'crm.db'}",
    }
