"""One error shape: JSON errors from the middleware, sessions kept, no tracebacks."""

from __future__ import annotations

import sqlite3

from bot.console.app import SESSION_COOKIE
from bot.console.errors import INTERNAL_ERROR
from bot.console.users import add_user
from tests.integration.console.conftest import (
    API_TOKEN,
    console_settings,
    login,
    start_console,
)


def _drop_the_queue(sqlite_url: str) -> None:
    path = sqlite_url.split(":///", 1)[1]
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TABLE console_handoffs")


async def test_an_unexpected_failure_is_chinese_json_on_apis_only(console, sqlite_url):
    await login(console)
    _drop_the_queue(sqlite_url)
    api = await console.get("/api/queue")
    assert api.status == 500
    assert api.content_type == "application/json"
    assert await api.json() == {
        "error": {"code": "internal_error", "message": INTERNAL_ERROR}
    }
    internal = await console.post(
        "/internal/handoffs",
        json={"conversation_id": "web:abc"},
        headers={"Authorization": f"Bearer {API_TOKEN}"},
    )
    assert internal.status == 500
    body = await internal.text()
    assert "Traceback" not in body and "console_handoffs" not in body
    page = await console.get("/queue")  # pages keep aiohttp's own 500 page
    assert page.status == 500
    assert page.content_type != "application/json"


async def test_refusals_from_the_access_rules_have_the_same_shape(console):
    internal = await console.post("/internal/handoffs", json={})
    assert internal.status == 401
    assert await internal.json() == {
        "error": {"code": "unauthorized", "message": "bad token"}
    }
    api = await console.get("/api/queue")
    assert api.status == 401
    assert (await api.json())["error"]["code"] == "login"


async def test_a_failed_web_chat_send_still_keeps_the_shoppers_session(
    sqlite_url, fake_rasa
):
    await add_user(sqlite_url, "alice", "alice-password")
    settings = console_settings(sqlite_url, fake_rasa)
    fake_rasa.token = "changed-since"  # Rasa now refuses the console's token
    client = await start_console(settings)
    try:
        response = await client.post("/chat/api/send", json={"message": "你好"})
        assert response.status == 502
        assert (await response.json())["error"]["code"] == "rasa_unavailable"
        # The chat id issued by this request is saved with the error answer.
        assert SESSION_COOKIE in response.cookies
    finally:
        await client.close()
