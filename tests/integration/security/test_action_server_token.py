"""The action server as the Procfile starts it: only callers with the token get data.

Tried as an attacker on the same network would: a made-up tracker whose
``customer_id`` names 王芳 (C100001), sent to ``/webhook`` with
``next_action: action_show_loyalty``. Without the token, or with a wrong one,
the answer is 401 and nothing of hers; with Rasa's token it works (so it is the
token that refuses, not a broken request).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.devtools.processes import free_port
from tests.conftest import ROOT
from tests.support.backend_processes import run_backends
from tests.support.processes import (
    ACTION_SERVER_TOKEN,
    action_server_command,
    stop_process,
    wait_for,
)

POINTS = "8799"


def loyalty_call() -> dict:
    """What Rasa would send to run action_show_loyalty for a known C100001."""
    return {
        "next_action": "action_show_loyalty",
        "sender_id": "wechat:demo-openid-001",
        "version": "3.6.21",
        "domain": {},
        "tracker": {
            "sender_id": "wechat:demo-openid-001",
            "slots": {"customer_id": "C100001"},
            "latest_message": {
                "text": "我有多少积分",
                "intent": {"name": "check_loyalty"},
                "entities": [],
                "message_id": "attack-1",
            },
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


@pytest.fixture(scope="module")
def action_server(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    workdir = tmp_path_factory.mktemp("action-server")
    with run_backends(workdir) as backend_env:
        port = free_port()
        log = workdir / "actions.log"
        process = subprocess.Popen(
            action_server_command(port),
            cwd=ROOT,
            env={**backend_env, "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(f"http://127.0.0.1:{port}/health", process, timeout=60)
            yield f"http://127.0.0.1:{port}", log
        finally:
            stop_process(process)


@pytest.mark.parametrize(
    "auth",
    [
        {},
        {"params": {"token": "wrong-token-wrong-token"}},
        {"headers": {"Authorization": "Bearer wrong-token-wrong-token"}},
        {"params": {"token": ""}},
    ],
    ids=["no token", "wrong query token", "wrong bearer", "empty token"],
)
def test_a_call_without_the_token_gets_401_and_no_data(action_server, auth):
    url, _ = action_server
    response = requests.post(f"{url}/webhook", json=loyalty_call(), timeout=10, **auth)
    assert response.status_code == 401
    assert POINTS not in response.text
    listing = requests.get(f"{url}/actions", timeout=10, **auth)
    assert listing.status_code == 401


@pytest.mark.parametrize(
    "auth",
    [
        {"params": {"token": ACTION_SERVER_TOKEN}},  # as Rasa sends it
        {"headers": {"Authorization": f"Bearer {ACTION_SERVER_TOKEN}"}},
    ],
    ids=["query token", "bearer"],
)
def test_the_token_rasa_holds_is_let_in(action_server, auth):
    url, _ = action_server
    response = requests.post(f"{url}/webhook", json=loyalty_call(), timeout=10, **auth)
    assert response.status_code == 200, response.text
    assert POINTS in response.text


def test_it_listens_on_loopback_only_by_default(action_server):
    _, log = action_server
    assert "up and running on http://127.0.0.1:" in log.read_text("utf-8")


def test_it_refuses_to_start_without_a_token(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot.action_server", "--actions", "actions",
         "--port", str(free_port())],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "ACTION_SERVER_TOKEN": "short"},
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    assert "ACTION_SERVER_TOKEN must be set" in result.stderr
