"""Transcript pages from the API mask the customer's name for whoever may not see it."""

from __future__ import annotations

import pytest

from bot.console.users import add_user
from tests.integration.console.conftest import (
    API_TOKEN,
    console_settings,
    login,
    start_console,
)
from tests.support.backends import TOKEN, backends, database_urls

__all__ = ["backends", "database_urls"]

JSON = {"Accept": "application/json"}
CONVERSATION = "web:masking-0001"


@pytest.mark.parametrize("database_urls", ["sqlite"], indirect=True)
async def test_the_transcript_api_masks_the_name_until_the_agent_holds_it(
    backends, fake_rasa, sqlite_url
):
    await add_user(sqlite_url, "alice", "alice-password")
    environ = {
        "CRM_URL": backends.crm_url,
        "ORDERS_URL": backends.orders_url,
        "BACKEND_API_TOKEN": TOKEN,
    }
    console = await start_console(console_settings(sqlite_url, fake_rasa, environ))
    try:
        fake_rasa.events[CONVERSATION] = [
            {"event": "user", "text": "我是王芳，电话13800138000", "timestamp": 1.0},
        ]
        queued = await console.post(
            "/internal/handoffs",
            json={
                "conversation_id": CONVERSATION,
                "channel": "web",
                "reason": "shopper_request",
                "summary": {"intents": ["human_handoff"]},
                "customer_id": "C100001",  # 王芳 in the demo data
            },
            headers={"Authorization": f"Bearer {API_TOKEN}"},
        )
        handoff = (await queued.json())["handoff_id"]
        token = await login(console)
        url = f"/api/handoffs/{handoff}/transcript?before=99"

        waiting = await (await console.get(url, headers=JSON)).json()
        (line,) = [e["text"] for e in waiting["entries"]]
        assert "王芳" not in line and "13800138000" not in line

        claim = await console.post(
            f"/handoffs/{handoff}/claim",
            data={"csrf_token": token},
            allow_redirects=False,
        )
        assert claim.status == 303
        held = await (await console.get(url, headers=JSON)).json()
        assert [e["text"] for e in held["entries"]] == ["我是王芳，电话13800138000"]
    finally:
        await console.close()
