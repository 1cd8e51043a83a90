"""The production profile's launcher and endpoints file, without starting anything."""

from __future__ import annotations

import pytest

from profiles import launch
from tests.conftest import ROOT


def test_environment_wins_over_profile_defaults():
    environ = {"SANIC_WORKERS": "8"}
    launch.apply_defaults(environ, launch.read_env_file(launch.DEFAULTS))
    assert environ["SANIC_WORKERS"] == "8"
    assert environ["RASA_ENDPOINTS"] == "endpoints.production.yml"


def test_production_refuses_to_start_without_secrets():
    with pytest.raises(launch.ProfileError, match="RASA_TOKEN, BACKEND_API_TOKEN"):
        launch.check_secrets({"RASA_TOKEN": ""})
    with pytest.raises(launch.ProfileError, match="BACKEND_API_TOKEN"):
        launch.check_secrets({"RASA_TOKEN": "x" * 32, "BACKEND_API_TOKEN": "short"})
    launch.check_secrets({name: "z" * 32 for name in launch.SECRETS})


def test_production_refuses_to_start_when_a_service_is_down():
    environ = launch.read_env_file(launch.DEFAULTS)
    environ["REDIS_PORT"] = "1"
    with pytest.raises(launch.ProfileError, match="Redis"):
        launch.check_services(environ, timeout=0.5)


def test_endpoints_file_expands_every_variable_from_the_profile(monkeypatch):
    from rasa.core.utils import read_endpoints_from_path

    defaults = launch.read_env_file(launch.DEFAULTS)
    for key, value in defaults.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:5055/webhook")
    monkeypatch.setenv("ACTION_SERVER_TOKEN", "test-action-server-token")
    endpoints = read_endpoints_from_path(ROOT / "endpoints.production.yml")

    assert (
        endpoints.tracker_store.type
        == "bot.rasa_server.tracker_store.BrokeredSQLTrackerStore"
    )
    assert endpoints.tracker_store.kwargs["db"] == defaults["RASA_DB_NAME"]
    assert (
        endpoints.lock_store.type == "bot.rasa_server.lock_store.AtomicRedisLockStore"
    )
    assert endpoints.lock_store.url == "127.0.0.1"
    assert endpoints.event_broker.type == "pika"
    assert endpoints.event_broker.kwargs["queues"] == [defaults["RABBITMQ_QUEUE"]]
    assert endpoints.action.url == "http://127.0.0.1:5055/webhook"


def test_tracker_database_comes_first_and_only_with_a_login_database():
    environ = launch.read_env_file(launch.DEFAULTS)
    environ["RASA_DB_NAME"] = "tracker"
    environ["CRM_DATABASE_URL"] = "postgresql://crm:s%40cret@localhost:5433/crm"
    environ["ORDERS_DATABASE_URL"] = "postgresql://postgres@db.example.com/orders"
    databases = launch.databases_to_create(environ)

    assert [(d.setting, d.name) for d in databases] == [
        ("RASA_DB_NAME", "tracker"),
        ("CRM_DATABASE_URL", "crm"),
        ("CONSOLE_DATABASE_URL", "xiaoke_console"),  # ANALYTICS_DB_URL: the same
    ]
    assert databases[0].login_db == environ["RASA_DB_LOGIN_DB"]
    assert (databases[1].user, databases[1].password, databases[1].port) == (
        "crm",
        "s@cret",
        5433,
    )

    environ["RASA_DB_LOGIN_DB"] = ""
    assert "RASA_DB_NAME" not in {
        d.setting for d in launch.databases_to_create(environ)
    }


def test_local_addresses_follow_the_ports_unless_set():
    environ = launch.read_env_file(launch.DEFAULTS)
    environ.update(ACTION_PORT="6055", CRM_URL="http://crm.internal")
    launch.derive_local_urls(environ)

    assert environ["ACTION_ENDPOINT_URL"] == "http://127.0.0.1:6055/webhook"
    assert environ["RASA_URL"] == f"http://127.0.0.1:{environ['RASA_PORT']}"
    assert environ["CRM_URL"] == "http://crm.internal"
