"""Settings of the reference backends, read once from the environment at startup."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

ServiceName = Literal["orders", "crm"]

DEFAULT_PORTS: dict[str, int] = {"orders": 8001, "crm": 8002}
DEFAULT_DATABASE_URLS: dict[str, str] = {
    "orders": "sqlite+aiosqlite:///var/orders.db",
    "crm": "sqlite+aiosqlite:///var/crm.db",
}
TOKEN_ENV = "BACKEND_API_TOKEN"  # noqa: S105 - the variable name, not a token


class ConfigurationError(RuntimeError):
    """The environment does not allow the service to start."""


def _flag(value: str | None, default: bool) -> bool:
    if value is None or not value.strip():
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class BackendSettings:
    """Everything a backend service needs to run.

    Attributes:
        service: ``"orders"`` or ``"crm"``.
        database_url: SQLAlchemy URL; ``postgresql://`` is turned into asyncpg.
        api_token: Bearer token every request must present.
        host: Interface to listen on.
        port: TCP port to listen on.
        orders_url: Base URL of the order service (the CRM verifies bindings there).
        upstream_timeout: Seconds the CRM waits for the order service.
        migrate: Run Alembic migrations to head when the app starts.
        seed_when_empty: Fill the deterministic demo data set into an empty database.
    """

    service: ServiceName
    database_url: str
    api_token: str
    host: str = "127.0.0.1"
    port: int = 8001
    orders_url: str = "http://127.0.0.1:8001"
    upstream_timeout: float = 2.0
    migrate: bool = True
    seed_when_empty: bool = True

    @classmethod
    def from_env(
        cls, service: ServiceName, environ: Mapping[str, str] | None = None
    ) -> BackendSettings:
        """Read the settings of one service from environment variables.

        Args:
            service: Which service the settings are for.
            environ: Mapping to read instead of ``os.environ`` (tests).

        Returns:
            The settings.

        Raises:
            ConfigurationError: The token is unset or a number does not parse.
        """
        env = os.environ if environ is None else environ
        prefix = service.upper()
        token = env.get(TOKEN_ENV, "").strip()
        if not token:
            raise ConfigurationError(
                f"{TOKEN_ENV} is not set: the {service} service refuses to start "
                "without the shared bearer token (make run generates one)."
            )
        try:
            port = int(env.get(f"{prefix}_PORT", DEFAULT_PORTS[service]))
            timeout = float(env.get("BACKEND_UPSTREAM_TIMEOUT", "2.0"))
        except ValueError as error:
            raise ConfigurationError(
                f"bad number in the environment: {error}"
            ) from None
        return cls(
            service=service,
            database_url=env.get(f"{prefix}_DATABASE_URL", "").strip()
            or DEFAULT_DATABASE_URLS[service],
            api_token=token,
            host=env.get("BACKEND_HOST", "127.0.0.1"),
            port=port,
            orders_url=env.get("ORDERS_URL", "").strip() or "http://127.0.0.1:8001",
            upstream_timeout=timeout,
            migrate=_flag(env.get("BACKEND_MIGRATE"), True),
            seed_when_empty=_flag(env.get("BACKEND_SEED_WHEN_EMPTY"), True),
        )

    def with_changes(self, **changes: object) -> BackendSettings:
        """Return a copy with some fields replaced (tests, tools)."""
        return replace(self, **changes)  # type: ignore[arg-type]
