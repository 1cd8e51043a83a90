"""``profiles/launch.py`` as deployed: refuses without secrets, else runs everything.

One real launch for the whole module (two Rasa workers load the model twice),
on databases, a RabbitMQ queue and exchange, a Redis lock prefix and ports of
its own; the tests run in file order against it and the last one stops it.
The databases do not exist before the launch: creating them is under test.
"""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import time
import uuid
from collections.abc import Iterator
from http.cookies import SimpleCookie

import psycopg2
import pytest
import requests

from profiles import launch
from tests.conftest import ROOT
from tests.support.launched_profile import (
    PORTS,
    LaunchedProfile,
    ProfileNames,
    database_url,
    existing_databases,
    kill_leftovers,
    new_secrets,
    parent_of,
    profile_environment,
    start_launcher,
    throwaway_profile_names,
    wait_until_gone,
)
from tests.support.processes import wait_for
from tests.support.services import require_postgres, require_service

pytestmark = [pytest.mark.model, pytest.mark.services, pytest.mark.slow]

#: Two Rasa workers loading the model on a busy 2-core machine.
START_TIMEOUT = 600
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
#: Procfile process → what its command line contains.
PROCFILE_MODULES = {
    "orders": "bot.backends.orders",
    "crm": "bot.backends.crm",
    "actions": "bot.action_server",
    "rasa": "bot.rasa_server",
    "console": "bot.console",
    "analytics": "bot.analytics.consumer",
}
#: The profile's Sanic workers per server (Rasa's each log RASA_READY).
SANIC_WORKERS = 2
RASA_READY = "Rasa server is up and running."
#: Seconds honcho waits after SIGTERM before it sends SIGKILL.
HONCHO_KILL_WAIT = 5
#: Lines that must never appear in the log of a healthy start.
LOG_FAILURES = (
    "Could not create database",
    "Could not create tables",
    "duplicate key value",
    "Traceback",
)


REST_TOKEN = "launch-test-rest-channel-token"


def say(profile: LaunchedProfile, sender: str, text: str) -> str:
    """Send ``text`` as shopper ``sender`` over REST; return the replies' text.

    The one door the tests talk to the assistant through.
    """
    response = requests.post(
        f"{profile.url('RASA_PORT')}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        headers={"Authorization": f"Bearer {REST_TOKEN}"},
        timeout=120,
    )
    response.raise_for_status()
    return "\n".join(message.get("text", "") for message in response.json())


def new_shopper() -> str:
    return f"launch-{uuid.uuid4().hex[:8]}"


def procfile_names() -> list[str]:
    lines = (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
    return [line.split(":", 1)[0] for line in lines if line and line[0].isalpha()]


def listening(port: str) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", int(port))) == 0


def rows(database: str, query: str) -> list[tuple]:
    with psycopg2.connect(database_url(database)) as connection:
        with connection.cursor() as cursor:
            cursor.execute(query)
            return cursor.fetchall()


@pytest.fixture(scope="module")
def names() -> Iterator[ProfileNames]:
    require_postgres()
    require_service("Redis", "127.0.0.1", 6379)
    require_service("RabbitMQ", "127.0.0.1", 5672)
    with throwaway_profile_names() as profile_names:
        yield profile_names


def test_refuses_to_start_without_the_secrets(names, tmp_path):
    env = profile_environment(names)
    # Empty in the environment wins over var/production.env, if there is one.
    env.update({name: "" for name in launch.SECRETS})
    log = tmp_path / "refused.log"
    process = start_launcher(env, log)
    try:
        status = process.wait(timeout=60)
    finally:
        kill_leftovers(names.suffix)
    output = log.read_text(encoding="utf-8")

    assert status != 0
    assert f"{', '.join(launch.SECRETS)} not set" in output
    assert "started (pid=" not in output  # honcho never ran
    assert wait_until_gone(names.suffix, timeout=5) == {}
    assert existing_databases(names.databases.values()) == set()
    assert not any(listening(env[port]) for port in PORTS)


def ready(log: str, names: ProfileNames) -> bool:
    """Every Rasa worker has its model, the analytics consumer its queue."""
    return (
        log.count(RASA_READY) >= SANIC_WORKERS
        and f"storing events of queue {names.broker}" in log
    )


@pytest.fixture(scope="module")
def profile(names, tmp_path_factory) -> Iterator[LaunchedProfile]:
    env = {
        **profile_environment(names),
        **new_secrets(),
        # Production's REST channel: off without it, bearer-only with it.
        "REST_CHANNEL_TOKEN": REST_TOKEN,
    }
    log = tmp_path_factory.mktemp("launch") / "launch.log"
    started = time.monotonic()
    launched = LaunchedProfile(start_launcher(env, log), env, log, names)
    try:
        for url in (
            f"{launched.url('ORDERS_PORT')}/health",
            f"{launched.url('CRM_PORT')}/health",
            f"{launched.url('ACTION_PORT')}/health",
            f"{launched.url('CONSOLE_PORT')}/health",
            f"{launched.url('RASA_PORT')}/status?token={env['RASA_TOKEN']}",
        ):
            try:
                wait_for(url, launched.process, timeout=START_TIMEOUT)
            except pytest.fail.Exception as failure:
                pytest.fail(f"{failure}; {log}:\n{launched.log_text()[-4000:]}")
        deadline = time.monotonic() + START_TIMEOUT
        while not ready(launched.log_text(), names):
            assert launched.process.poll() is None, launched.log_text()[-3000:]
            assert time.monotonic() < deadline, launched.log_text()[-3000:]
            time.sleep(1)
        print(f"production profile up in {time.monotonic() - started:.0f}s; log {log}")
        yield launched
    finally:
        if launched.process.poll() is None:
            launched.stop(signal.SIGTERM)
        kill_leftovers(names.suffix)


def test_first_start_creates_every_database(profile):
    wanted = profile.names.databases
    assert existing_databases(wanted.values()) == set(wanted.values())
    log = profile.log_text()
    for setting, name in wanted.items():
        assert f"created database {name} ({setting})" in log
    assert f"created the tracker store's tables in {wanted['RASA_DB_NAME']}" in log


def test_every_procfile_process_runs(profile):
    log = profile.log_text()
    commands = list(profile.processes().values())
    for name in procfile_names():
        assert re.search(rf"\| {name}(\.1)? started \(pid=\d+\)", log), name
        assert any(PROCFILE_MODULES[name] in command for command in commands), name


def server_and_workers(
    profile: LaunchedProfile, module: str
) -> tuple[set[int], set[int]]:
    """The ``python -m module`` process(es) and the Sanic workers forked from them."""
    # Not honcho's /bin/sh -c: its command line names the module too.
    processes = {
        pid
        for pid, command in profile.processes().items()
        if f"-m {module} " in command and "python" in command.split()[0]
    }
    workers = {pid for pid in processes if parent_of(pid) in processes}
    return processes - workers, workers


@pytest.mark.parametrize(
    "module", ["bot.rasa_server", "bot.action_server"], ids=["rasa", "actions"]
)
def test_server_runs_two_sanic_workers(profile, module):
    server, workers = server_and_workers(profile, module)
    assert len(server) == 1, profile.processes()
    assert len(workers) == SANIC_WORKERS, profile.processes()
    assert {parent_of(pid) for pid in workers} == server


def test_every_rasa_worker_loaded_the_model(profile):
    assert profile.log_text().count(RASA_READY) == SANIC_WORKERS


def test_shopper_gets_a_greeting_and_a_verified_answer(profile):
    sender = new_shopper()
    assert "小客" in say(profile, sender, "你好")
    assert "手机号" in say(profile, sender, "我有多少积分")
    assert "订单号" in say(profile, sender, "13800138000")
    assert "8799 积分" in say(profile, sender, "XK202411110001")


def test_doors_are_shut_to_callers_without_their_token(profile):
    rest = f"{profile.url('RASA_PORT')}/webhooks/rest/webhook"
    body = {"sender": "launch-door", "message": "我有多少积分"}
    assert requests.post(rest, json=body, timeout=30).status_code == 401
    action = f"{profile.url('ACTION_PORT')}/webhook"
    call = {"next_action": "action_show_loyalty", "tracker": {"sender_id": "x"}}
    assert requests.post(action, json=call, timeout=30).status_code == 401


def test_events_reach_postgresql_and_the_analytics_table(profile):
    # Fresh databases: every stored event is this module's.
    query = "SELECT data::json->>'text' FROM {} WHERE type_name = 'user' ORDER BY id"
    stored = rows(profile.names.databases["RASA_DB_NAME"], query.format("events"))
    assert [text for (text,) in stored][-4:] == [
        "你好",
        "我有多少积分",
        "13800138000",
        "XK202411110001",
    ]
    console_db = profile.names.databases["CONSOLE_DATABASE_URL"]
    deadline = time.monotonic() + 30
    while (copied := rows(console_db, query.format("analytics_events"))) != stored:
        assert time.monotonic() < deadline, (stored, copied)
        time.sleep(0.5)


def test_console_logs_in_over_postgresql_with_a_secure_cookie(profile):
    from bot.console.users import add_user

    asyncio.run(
        add_user(profile.env["CONSOLE_DATABASE_URL"], "launch-agent", "launch-password")
    )
    console = profile.url("CONSOLE_PORT")
    page = requests.get(f"{console}/login", timeout=30)
    token = CSRF.search(page.text)
    assert page.status_code == 200 and token, page.text[:300]
    # The cookie is Secure, so a client does not send it back over plain http
    # (the test's http://127.0.0.1); send it by hand.
    first = SimpleCookie(page.headers["Set-Cookie"])
    login = requests.post(
        f"{console}/login",
        data={
            "username": "launch-agent",
            "password": "launch-password",
            "csrf_token": token.group(1),
        },
        headers={"Cookie": "; ".join(f"{k}={m.value}" for k, m in first.items())},
        allow_redirects=False,
        timeout=30,
    )
    assert login.status_code == 303 and login.headers["Location"] == "/queue"

    header = login.headers["Set-Cookie"]
    (morsel,) = SimpleCookie(header).values()
    assert morsel["secure"] is True, header
    assert morsel["httponly"] is True, header
    assert morsel["samesite"].lower() in {"lax", "strict"}, header

    queue = requests.get(
        f"{console}/queue",
        headers={"Cookie": f"{morsel.key}={morsel.value}"},
        allow_redirects=False,
        timeout=30,
    )
    assert queue.status_code == 200, queue.headers


def test_logs_show_no_failed_creation_and_no_traceback(profile):
    log = profile.log_text()
    found = {failure for failure in LOG_FAILURES if failure in log}
    assert found == set(), "\n".join(
        line for line in log.splitlines() if any(f in line for f in found)
    )


def test_sigint_stops_every_process(profile):
    _, workers = server_and_workers(profile, "bot.rasa_server")
    assert len(workers) == SANIC_WORKERS

    profile.process.send_signal(signal.SIGINT)
    # honcho passes SIGTERM on, and sends SIGKILL to whatever runs 5 s later.
    deadline = time.monotonic() + HONCHO_KILL_WAIT
    while (serving := set(profile.processes()) & workers) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.1)
    status = profile.process.wait(timeout=60)

    assert serving == set(), "a Rasa worker did not stop on SIGTERM"
    left = wait_until_gone(profile.names.suffix)
    assert left == {}, left
    assert not any(listening(profile.env[port]) for port in PORTS)
    assert status == 130, status  # honcho's status for SIGINT
    stopping = profile.log_text().split("SIGINT received", 1)[1]
    killed = set(re.findall(r"sending SIGKILL to (\S+)", stopping))
    # Only the Rasa server's parent process may still be in its final garbage
    # collection (seconds on a busy machine) when its workers have stopped.
    assert killed <= {"rasa.1"}, stopping
