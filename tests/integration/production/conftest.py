"""Rasa servers in the production profile on real PostgreSQL, Redis and RabbitMQ.

One module-scoped cluster: the reference backends, one action server and two Rasa
servers started with ``endpoints.production.yml`` and the defaults of
``profiles/production.env``, pointed at a throwaway PostgreSQL database, a Redis
key prefix and a RabbitMQ exchange and queue of their own.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bot.devtools.processes import free_port
from bot.platform.conversation_ids import REST, conversation_id
from profiles.launch import DEFAULTS, read_env_file
from tests.conftest import ROOT
from tests.support.backend_processes import run_backends
from tests.support.launched_profile import drop_broker_objects
from tests.support.processes import (
    ACTION_SERVER_TOKEN,
    action_server_command,
    rasa_server_command,
    stop_process,
    wait_for,
)
from tests.support.services import require_service, throwaway_postgres_database

RABBITMQ = ("127.0.0.1", 5672)
REDIS = ("127.0.0.1", 6379)
ENDPOINTS = "endpoints.production.yml"
REST_TOKEN = "rest-channel-test-token"


class Cluster:
    """Rasa servers sharing one tracker store, lock store and event broker."""

    def __init__(self, model_path: Path, logs: Path, env: dict[str, str]) -> None:
        self.model_path = model_path
        self.logs = logs
        self.env = env
        self.token = uuid.uuid4().hex
        self.ports: list[int] = []
        self.processes: list[subprocess.Popen] = []

    def url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}"

    def _popen(self, index: int) -> subprocess.Popen:
        command = rasa_server_command(
            self.model_path, self.ports[index], self.token, endpoints=ENDPOINTS
        )
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            stdout=(self.logs / f"rasa{index}.log").open("a"),
            stderr=subprocess.STDOUT,
        )

    def _wait(self, index: int) -> None:
        wait_for(f"{self.url(index)}/status?token={self.token}", self.processes[index])

    def start(self, count: int) -> None:
        """Start ``count`` servers in parallel and wait until all answer."""
        self.ports = [free_port() for _ in range(count)]
        self.processes = [self._popen(index) for index in range(count)]
        for index in range(count):
            self._wait(index)

    def restart(self, index: int) -> None:
        """Stop server ``index`` and start it again on the same port."""
        stop_process(self.processes[index])
        self.processes[index] = self._popen(index)
        self._wait(index)

    def stop(self) -> None:
        for process in self.processes:
            stop_process(process)

    def post(self, index: int, sender: str, text: str) -> requests.Response:
        return requests.post(
            f"{self.url(index)}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers={"Authorization": f"Bearer {REST_TOKEN}"},
            timeout=60,
        )

    def say(self, index: int, sender: str, text: str) -> str:
        response = self.post(index, sender, text)
        response.raise_for_status()
        return "\n".join(message.get("text", "") for message in response.json())

    def events(self, sender: str, index: int = 0) -> list[dict]:
        response = requests.get(
            f"{self.url(index)}/conversations/{conversation_id(REST, sender)}/tracker",
            params={"token": self.token, "include_events": "ALL"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()["events"]


def production_environment() -> dict[str, str]:
    """``profiles/production.env`` as a launched profile would see it."""
    return read_env_file(DEFAULTS)


@pytest.fixture(scope="module")
def production_env() -> Iterator[dict[str, str]]:
    """Profile defaults pointed at throwaway PostgreSQL/Redis/RabbitMQ names."""
    require_service("Redis", *REDIS)
    require_service("RabbitMQ", *RABBITMQ)
    suffix = uuid.uuid4().hex[:10]
    with throwaway_postgres_database("xiaoke_rasa") as database_url:
        env = production_environment()
        env.update(
            RASA_DB_NAME=database_url.rsplit("/", 1)[1],
            REDIS_LOCK_PREFIX=f"xiaoketest{suffix}",
            RABBITMQ_EXCHANGE=f"xiaoke-test-{suffix}",
            RABBITMQ_QUEUE=f"xiaoke-test-{suffix}",
            # One worker each: the two processes are the scale-out under test,
            # and every extra worker loads the model again on a 2-core machine.
            SANIC_WORKERS="1",
            ACTION_SERVER_SANIC_WORKERS="1",
            DATABASE_URL_FOR_TESTS=database_url,
        )
        try:
            yield env
        finally:
            drop_broker_objects(env["RABBITMQ_EXCHANGE"], env["RABBITMQ_QUEUE"])


@pytest.fixture(scope="module")
def cluster(model_path, tmp_path_factory, production_env) -> Iterator[Cluster]:
    workdir = tmp_path_factory.mktemp("production")
    with run_backends(workdir) as backend_env:
        action_port = free_port()
        env = {
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            **production_env,
            **backend_env,
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{action_port}/webhook",
            "ACTION_SERVER_TOKEN": ACTION_SERVER_TOKEN,
            # The production profile's REST channel needs a bearer token.
            "REST_CHANNEL_TOKEN": REST_TOKEN,
        }
        actions = subprocess.Popen(
            action_server_command(action_port),
            cwd=ROOT,
            env=env,
            stdout=(workdir / "actions.log").open("w"),
            stderr=subprocess.STDOUT,
        )
        running = Cluster(model_path, workdir, env)
        try:
            running.start(2)
            wait_for(f"http://127.0.0.1:{action_port}/health", actions)
            yield running
        finally:
            running.stop()
            stop_process(actions)
