"""A console app against a fake Rasa server, on SQLite or PostgreSQL."""

from __future__ import annotations

import base64
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.console.app import create_app
from bot.console.config import ConsoleSettings, ServiceHours
from bot.console.users import add_user
from tests.support.services import throwaway_postgres_database

API_TOKEN = "internal-test-token"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class FakeRasa:
    """Rasa's tracker and web chat endpoints, recording what the console appends."""

    def __init__(self) -> None:
        self.events: dict[str, list[dict]] = defaultdict(list)
        self.channel: dict[str, str] = {}
        self.token = "rasa-test-token"

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/conversations/{id}/tracker", self.tracker)
        app.router.add_post("/conversations/{id}/tracker/events", self.append)
        app.router.add_post("/webhooks/web/webhook", self.web)
        return app

    def _auth(self, request: web.Request) -> None:
        if request.query.get("token") != self.token:
            raise web.HTTPUnauthorized()

    async def tracker(self, request: web.Request) -> web.Response:
        self._auth(request)
        sender = request.match_info["id"]
        return web.json_response(
            {
                "sender_id": sender,
                "events": self.events[sender],
                "latest_input_channel": self.channel.get(sender, "rest"),
            }
        )

    async def append(self, request: web.Request) -> web.Response:
        self._auth(request)
        self.events[request.match_info["id"]].extend(await request.json())
        return web.json_response({})

    async def web(self, request: web.Request) -> web.Response:
        """The web chat channel: bearer token, conversation ``web:<sender>``."""
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise web.HTTPUnauthorized()
        body = await request.json()
        self.events[f"web:{body['sender']}"].append(
            {"event": "user", "text": body["message"], "timestamp": 1.0}
        )
        return web.json_response([{"text": f"收到：{body['message']}"}])


@pytest.fixture(scope="session")
def postgres_url():
    with throwaway_postgres_database("xiaoke_console") as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    url = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"


@pytest.fixture
async def fake_rasa():
    rasa = FakeRasa()
    server = TestServer(rasa.app())
    await server.start_server()
    rasa.url = str(server.make_url("")).rstrip("/")  # type: ignore[attr-defined]
    yield rasa
    await server.close()


def console_settings(
    database_url: str, rasa: FakeRasa, environ: dict[str, str] | None = None, **extra
) -> ConsoleSettings:
    return ConsoleSettings(
        secret_key=os.urandom(32),
        api_token=API_TOKEN,
        database_url=database_url,
        rasa_url=rasa.url,  # type: ignore[attr-defined]
        rasa_token=rasa.token,
        development=True,
        service_hours=ServiceHours.parse("00:00-24:00"),
        poll_interval=0.05,
        environ=environ or {},
        **extra,
    )


async def start_console(settings: ConsoleSettings) -> TestClient:
    client = TestClient(TestServer(create_app(settings)))
    await client.start_server()
    return client


@pytest.fixture
async def console_factory(fake_rasa):
    clients: list[TestClient] = []

    async def make(database_url: str) -> TestClient:
        await add_user(database_url, "alice", "alice-password")
        await add_user(database_url, "bob", "bob-password")
        client = await start_console(console_settings(database_url, fake_rasa))
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.fixture
async def console(console_factory, sqlite_url) -> TestClient:
    return await console_factory(sqlite_url)


async def csrf_of(client: TestClient, path: str = "/login") -> str:
    page = await client.get(path)
    match = CSRF.search(await page.text())
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def login(client: TestClient, user: str = "alice") -> str:
    token = await csrf_of(client)
    response = await client.post(
        "/login",
        data={"username": user, "password": f"{user}-password", "csrf_token": token},
        allow_redirects=False,
    )
    assert response.status == 303, await response.text()
    return await csrf_of(client, "/queue")


async def queue_handoff(
    client: TestClient, conversation_id: str = "web-shopper-0001", channel: str = "web"
) -> dict:
    response = await client.post(
        "/internal/handoffs",
        json={
            "conversation_id": conversation_id,
            "channel": channel,
            "reason": "shopper_request",
            "summary": {"reason_label": "顾客要求转人工", "intents": ["human_handoff"]},
            "customer_id": None,
        },
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert response.status == 201, await response.text()
    return await response.json()


def b64key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()
