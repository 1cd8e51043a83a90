"""Identifier formats, URL handling and settings, without I/O."""

from __future__ import annotations

import pytest

from bot.backends.common import validation as v
from bot.backends.common.db import normalize_database_url
from bot.backends.common.errors import InvalidInput
from bot.backends.common.settings import BackendSettings, ConfigurationError


@pytest.mark.parametrize(
    ("parse", "raw", "expected"),
    [
        (v.order_number, " xk202411110001 ", "XK202411110001"),
        (v.serial_number, "sn8h2k4m9q1z", "SN8H2K4M9Q1Z"),
        (v.rma_number, "rma202411150001", "RMA202411150001"),
        (v.phone, "+86 138-0013-8000", "13800138000"),
        (v.customer_id, "c100001", "C100001"),
    ],
)
def test_identifiers_are_normalised(parse, raw: str, expected: str) -> None:
    assert parse(raw) == expected


@pytest.mark.parametrize(
    ("parse", "raw"),
    [
        (v.order_number, "XK2024111100"),
        (v.order_number, "AB202411110001"),
        (v.order_number, 202411110001),
        (v.serial_number, "SN8H2K4M9Q1"),
        (v.phone, "12800138000"),
        (v.phone, "1380013800"),
        (v.idempotency_key, "short"),
        (v.idempotency_key, None),
    ],
)
def test_malformed_identifiers_are_invalid_input(parse, raw: object) -> None:
    with pytest.raises(InvalidInput):
        parse(raw)


def test_phone_is_masked() -> None:
    assert v.mask_phone("13800138000") == "138****8000"


def test_booleans_are_not_integers() -> None:
    with pytest.raises(InvalidInput, match="must be an integer"):
        v.require_int(True, "quantity", minimum=1, maximum=9)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///var/orders.db", "sqlite+aiosqlite:///var/orders.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_urls_get_async_drivers(url: str, expected: str) -> None:
    assert normalize_database_url(url) == expected


def test_service_refuses_to_start_without_token() -> None:
    with pytest.raises(ConfigurationError, match="BACKEND_API_TOKEN"):
        BackendSettings.from_env("orders", {})


def test_settings_defaults_and_overrides() -> None:
    orders = BackendSettings.from_env("orders", {"BACKEND_API_TOKEN": "t"})
    crm = BackendSettings.from_env(
        "crm",
        {
            "BACKEND_API_TOKEN": "t",
            "CRM_PORT": "9002",
            "CRM_DATABASE_URL": "postgresql://x/y",
            "BACKEND_SEED_WHEN_EMPTY": "false",
        },
    )
    assert (orders.port, orders.database_url) == (
        8001,
        "sqlite+aiosqlite:///var/orders.db",
    )
    assert (crm.port, crm.database_url, crm.seed_when_empty) == (
        9002,
        "postgresql://x/y",
        False,
    )


def test_bad_port_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        BackendSettings.from_env("crm", {"BACKEND_API_TOKEN": "t", "CRM_PORT": "x"})
