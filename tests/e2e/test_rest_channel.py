"""The assistant as `make run` starts it: real Rasa and action server processes.

A short Chinese conversation over Rasa's REST channel, on free ports.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, free_port

pytestmark = pytest.mark.model

VENV_BIN = Path(sys.executable).parent
START_TIMEOUT = 180


def wait_for(url: str, process: subprocess.Popen, headers=None) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited with {process.returncode}")
        try:
            if requests.get(url, headers=headers, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    pytest.fail(f"{url} did not answer within {START_TIMEOUT}s")


@pytest.fixture(scope="module")
def assistant(model_path, tmp_path_factory) -> Iterator[str]:
    rasa_port, action_port = free_port(), free_port()
    token = uuid.uuid4().hex
    logs = tmp_path_factory.mktemp("logs")
    env = {
        **os.environ,
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
    }
    commands = {
        "actions": [str(VENV_BIN / "rasa"), "run", "actions", "--actions", "actions",
                    "--port", str(action_port)],
        "rasa": [str(VENV_BIN / "rasa"), "run", "--model", str(model_path),
                 "--enable-api", "--auth-token", token, "--interface", "127.0.0.1",
                 "--port", str(rasa_port), "--credentials", "credentials.yml",
                 "--endpoints", "endpoints.yml"],
    }  # fmt: skip
    processes = {
        name: subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=(logs / f"{name}.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        for name, command in commands.items()
    }
    try:
        started = time.monotonic()
        wait_for(f"http://127.0.0.1:{action_port}/health", processes["actions"])
        wait_for(
            f"http://127.0.0.1:{rasa_port}/status?token={token}", processes["rasa"]
        )
        print(f"assistant ready in {time.monotonic() - started:.1f}s")
        yield f"http://127.0.0.1:{rasa_port}"
    finally:
        for process in processes.values():
            process.terminate()
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def say(base: str, sender: str, text: str) -> list[str]:
    response = requests.post(
        f"{base}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=30,
    )
    response.raise_for_status()
    return [message.get("text", "") for message in response.json()]


def test_greeting_is_answered_in_chinese(assistant):
    replies = say(assistant, "e2e-greet", "你好")
    assert replies
    assert "小客" in replies[0]


def test_delivery_question_asks_for_the_order_then_takes_it(assistant):
    sender = f"e2e-{uuid.uuid4().hex[:6]}"
    asked = say(assistant, sender, "我的快递到哪了")
    assert any("订单号" in text for text in asked)
    answered = say(assistant, sender, "ＸＫ２０２４１１１１０００３")
    assert any("XK202411110003" in text for text in answered)


def test_stopping_a_form_is_acknowledged(assistant):
    sender = f"e2e-{uuid.uuid4().hex[:6]}"
    say(assistant, sender, "我要退货")
    assert any("取消" in text for text in say(assistant, sender, "算了不用了"))


def test_faq_is_answered(assistant):
    replies = say(assistant, "e2e-faq", "包邮吗")
    assert any("包邮" in text for text in replies)


def test_api_refuses_requests_without_the_token(assistant):
    response = requests.get(f"{assistant}/status", timeout=5)
    assert response.status_code == 401
