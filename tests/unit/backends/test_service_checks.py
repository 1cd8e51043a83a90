"""tests/support/services.py: skip locally, fail under CI."""

from __future__ import annotations

import socket

import pytest

from bot.devtools.processes import free_port
from tests.support import services


def test_missing_service_skips_without_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        services.require_service("Nothing", "127.0.0.1", free_port())


@pytest.mark.parametrize("value", ["true", "1", "yes"])
def test_missing_service_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI is set"):
        services.require_service("Nothing", "127.0.0.1", free_port())


def test_reachable_service_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        services.require_service("Something", "127.0.0.1", server.getsockname()[1])
