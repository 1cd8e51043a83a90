"""No personal data in clear in any log of the processes the Procfile starts.

Every process is started from its Procfile line (``tests.support.processes.
run_procfile``), so the masking launcher of the action server and the Rasa
server's own start are the ones ``make run`` uses. Conversations carry the demo
shopper's phone (typed plain, spaced and dashed), order number, name (王芳, in
the CRM's answers), an address the shopper types and the return address the
order service shows; a handoff reaches the console with its summary and an
agent reads it. Then every log is searched.

Two log levels:

- ``deployment``: the Procfile as it is, no ``LOG_LEVEL`` (Rasa at INFO; the
  action server, console and backends log at INFO, their only setting);
- ``debugging``: what an operator turns on to chase a problem: ``LOG_LEVEL=DEBUG``
  (Rasa then logs every message, entity and slot value) and ``--debug`` on the
  action server (rasa_sdk logs the actions' events). Leaks hide there; a record
  at INFO is also written at DEBUG, but the deployment run is kept so the
  Procfile's own behaviour is checked as shipped.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bot.backends.orders.rules import RETURN_ADDRESS
from bot.console.users import add_user
from bot.devtools.processes import backend_env, free_port
from bot.platform.conversation_ids import REST, conversation_id
from tests.support.processes import run_procfile

pytestmark = pytest.mark.model

PROCESSES = ("orders", "crm", "actions", "rasa", "console")
PHONE = "13800138000"
NAME = "王芳"  # the CRM's demo customer C100001 (bot/backends/seed/dataset.py)
ORDER = "XK202411110001"
# What the shopper types: an address of their own.
TYPED_ADDRESS = "上海市浦东新区世纪大道100号2号楼301室"
AGENT, AGENT_PASSWORD = "agent-logs", "agent-logs-password"


def _street(address: str) -> str:
    """The part of an address the masking hides (after the district)."""
    return re.split(r"[区县]", address, maxsplit=1)[1].split("（")[0].split(" ")[0]


def _loose(digits: str) -> re.Pattern[str]:
    """``digits`` with any spaces, dashes or full-width forms between them."""
    full = {d: chr(ord(d) - ord("0") + ord("０")) for d in "0123456789"}
    return re.compile(r"[ \-－\u3000]?".join(f"[{d}{full[d]}]" for d in digits))


def _escaped(text: str) -> str:
    """``text`` as ``json.dumps`` writes it by default (``\\u738b\\u82b3``)."""
    return json.dumps(text)[1:-1]


# In clear = any of these forms (escaped JSON is still readable by anyone).
SECRETS: dict[str, re.Pattern[str]] = {
    "phone": _loose(PHONE),
    "name": re.compile(f"{NAME}|{re.escape(_escaped(NAME))}"),
    "typed address": re.compile(
        "|".join(re.escape(f(_street(TYPED_ADDRESS))) for f in (str, _escaped))
    ),
    "return address": re.compile(
        "|".join(re.escape(f(_street(RETURN_ADDRESS))) for f in (str, _escaped))
    ),
}


def rest_conversation_id(sender: str) -> str:
    """The conversation id the REST channel gives ``sender`` (the one mapping)."""
    return conversation_id(REST, sender)


@dataclass(frozen=True)
class Deployment:
    """The running processes' URLs and their logs."""

    rasa_url: str
    console_url: str
    logs: Path


@pytest.fixture(scope="module", params=["deployment", "debugging"])
def deployment(request, model_path, tmp_path_factory) -> Iterator[Deployment]:
    logs = tmp_path_factory.mktemp(f"logs-{request.param}")
    ports = {name: free_port() for name in ("orders", "crm", "actions", "rasa")}
    console_port = free_port()
    tokens = {k: uuid.uuid4().hex for k in ("rasa", "backend", "console", "actions")}
    console_db = f"sqlite+aiosqlite:///{logs / 'console.db'}"
    asyncio.run(add_user(console_db, AGENT, AGENT_PASSWORD))
    rasa_url = f"http://127.0.0.1:{ports['rasa']}"
    console_url = f"http://127.0.0.1:{console_port}"
    # What `make run` exports (Makefile, var/dev.env), with free ports and files here.
    env = {
        **os.environ,
        "RASA_PORT": str(ports["rasa"]),
        "ACTION_PORT": str(ports["actions"]),
        "RASA_INTERFACE": "127.0.0.1",
        "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
        "ACTION_SERVER_TOKEN": tokens["actions"],
        "CONSOLE_PORT": str(console_port),
        "RASA_TRACKER_DB": str(logs / "tracker.db"),
        "RASA_URL": rasa_url,
        "RASA_TOKEN": tokens["rasa"],
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        **backend_env(logs, ports["orders"], ports["crm"], tokens["backend"]),
        "CONSOLE_URL": console_url,
        "CONSOLE_API_TOKEN": tokens["console"],
        "CONSOLE_SECRET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "CONSOLE_DATABASE_URL": console_db,
        "CONSOLE_ENV": "development",
        "CONSOLE_SERVICE_HOURS": "00:00-24:00",
    }
    env.pop("LOG_LEVEL", None)
    extra: dict[str, list[str]] = {}
    if request.param == "debugging":
        env["LOG_LEVEL"] = "DEBUG"
        extra["actions"] = ["--debug"]
    health = {
        "orders": f"{env['ORDERS_URL']}/health",
        "crm": f"{env['CRM_URL']}/health",
        "actions": f"http://127.0.0.1:{ports['actions']}/health",
        "console": f"{console_url}/health",
        "rasa": f"{rasa_url}/status?token={tokens['rasa']}",
    }
    with run_procfile(PROCESSES, env, logs, health, extra):
        yield Deployment(rasa_url, console_url, logs)


def say(deployment: Deployment, sender: str, text: str) -> str:
    response = requests.post(
        f"{deployment.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        timeout=60,
    )
    response.raise_for_status()
    return "\n".join(m.get("text", "") for m in response.json())


def verify(deployment: Deployment, sender: str, question: str, phone: str) -> str:
    assert "手机号" in say(deployment, sender, question)
    assert "订单号" in say(deployment, sender, phone)
    return say(deployment, sender, ORDER)


def agent_reads_the_handoff(deployment: Deployment, conversation_id: str) -> str:
    """Log in, find the conversation in the queue, claim it and open it."""
    csrf = re.compile(r'name="csrf_token" value="([^"]+)"')
    agent = requests.Session()
    login = agent.get(f"{deployment.console_url}/login", timeout=10).text
    agent.post(
        f"{deployment.console_url}/login",
        data={
            "username": AGENT,
            "password": AGENT_PASSWORD,
            "csrf_token": csrf.findall(login)[0],
        },
        timeout=10,
    ).raise_for_status()
    queue = agent.get(f"{deployment.console_url}/api/queue", timeout=10).json()
    handoff = next(
        h for h in queue["waiting"] if h["conversation_id"] == conversation_id
    )
    page = agent.get(f"{deployment.console_url}/queue", timeout=10).text
    agent.post(
        f"{deployment.console_url}/handoffs/{handoff['id']}/claim",
        data={"csrf_token": csrf.findall(page)[0]},
        timeout=10,
    ).raise_for_status()
    return agent.get(
        f"{deployment.console_url}/conversations/{handoff['id']}", timeout=10
    ).text


@pytest.fixture(scope="module")
def conversations(deployment: Deployment) -> Deployment:
    """The conversations with personal data, run once per deployment."""
    wang = f"logs-{uuid.uuid4().hex[:8]}"
    assert "8799 积分" in verify(deployment, wang, "我有多少积分", PHONE)
    say(deployment, wang, "我的快递到哪了")
    assert "SF123456789012" in say(deployment, wang, "XK202411110003")
    say(deployment, wang, "我要退货")
    assert "退的是" in say(deployment, wang, "XK202411110004")
    say(deployment, wang, "耳机")
    say(deployment, wang, "质量问题")
    say(deployment, wang, "跳过")
    assert _street(RETURN_ADDRESS) in say(deployment, wang, "确认")
    say(deployment, wang, f"收货地址改成{TYPED_ADDRESS}，收货人{NAME}，电话{PHONE}")
    say(deployment, wang, "转人工")
    page = agent_reads_the_handoff(deployment, rest_conversation_id(wang))
    assert NAME in page  # the agent handling it sees the shopper in full
    # The same shopper on another device, typing the phone spaced and dashed
    # (the NLU may not take these as a phone: they reach the logs all the same).
    other = f"logs-{uuid.uuid4().hex[:8]}"
    assert "手机号" in say(deployment, other, "查下积分")
    for phone in ("138 0013 8000", "138-0013-8000", f"手机{PHONE}"):
        say(deployment, other, phone)
    return deployment


def leaks(log: str) -> dict[str, list[str]]:
    """Each secret's lines in ``log`` (shortened), by secret."""
    found: dict[str, list[str]] = {}
    for line in log.splitlines():
        for secret, pattern in SECRETS.items():
            if pattern.search(line):
                found.setdefault(secret, []).append(line[:300])
    return found


def test_the_searched_forms_are_found_in_clear_text():
    text = f"{PHONE} 138 0013 8000 {_escaped(NAME)} {_street(TYPED_ADDRESS)}"
    assert set(leaks(text)) == {"phone", "name", "typed address"}
    assert _street(RETURN_ADDRESS) == "工业北路6号"


@pytest.mark.parametrize("process", PROCESSES)
def test_no_personal_data_in_clear_in_the_log(conversations, process):
    log = (conversations.logs / f"{process}.log").read_text(encoding="utf-8")
    assert log.strip(), f"{process} wrote no log at all"
    assert leaks(log) == {}
