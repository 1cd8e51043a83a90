"""An agent's reply reaches a WeChat shopper through the customer-service API.

The WeChat platform is the simulator (bot/devtools/wechat_simulator.py): it
issues access tokens and records the customer-service messages it receives.
"""

from __future__ import annotations

import re

from bot.console.users import add_user
from bot.devtools.wechat_simulator import WeChatPlatform
from tests.integration.console.conftest import (
    console_settings,
    login,
    queue_handoff,
    start_console,
)

OPENID = "demo-openid-001"


def wechat_env(platform: WeChatPlatform, api_url: str) -> dict[str, str]:
    """The console's WeChat settings for the simulated platform."""
    return {
        "WECHAT_TOKEN": "console-test",
        "WECHAT_APP_ID": platform.app_id,
        "WECHAT_APP_SECRET": platform.app_secret,
        "WECHAT_API_BASE_URL": api_url,
    }


async def test_agent_reply_and_hand_back_reach_the_wechat_shopper(
    sqlite_url, fake_rasa
):
    platform = WeChatPlatform(token="console-test")
    api_url = await platform.start()
    await add_user(sqlite_url, "alice", "alice-password")
    settings = console_settings(sqlite_url, fake_rasa, wechat_env(platform, api_url))
    console = await start_console(settings)
    try:
        ticket = await queue_handoff(console, OPENID, channel="wechat")
        token = await login(console)
        claim = await console.post(
            f"/handoffs/{ticket['handoff_id']}/claim",
            data={"csrf_token": token},
            allow_redirects=False,
        )
        assert claim.status == 303
        assert claim.headers["Location"] == f"/conversations/{ticket['handoff_id']}"
        queue = await (await console.get("/api/queue")).json()
        assert [item["id"] for item in queue["mine"]] == [ticket["handoff_id"]]
        reply = await console.post(
            f"/handoffs/{ticket['handoff_id']}/reply",
            json={"text": "您好，我是人工客服小王"},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )
        assert reply.status == 200, await reply.text()
        note = await console.post(
            f"/handoffs/{ticket['handoff_id']}/notes",
            json={"text": "内部：顾客是老客户，可酌情补偿"},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )
        assert note.status == 200, await note.text()
        # The internal note reaches neither WeChat nor the Rasa transcript.
        assert platform.texts(OPENID) == ["您好，我是人工客服小王"]
        assert "酌情补偿" not in str(fake_rasa.events[OPENID])
        assert fake_rasa.events[OPENID][0] == {
            "event": "bot",
            "text": "您好，我是人工客服小王",
            "metadata": {"agent": "alice"},
        }
        handed = await console.post(
            f"/handoffs/{ticket['handoff_id']}/handback",
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )
        assert handed.status == 200, await handed.text()
        assert len(platform.texts(OPENID)) == 2
        assert "小客" in platform.texts(OPENID)[1]
        assert len(platform.token_requests) == 1  # the token is cached
    finally:
        await console.close()
        await platform.stop()


async def test_a_reply_wechat_refuses_shows_as_not_delivered_with_the_reason(
    sqlite_url, fake_rasa
):
    platform = WeChatPlatform(token="console-test")
    api_url = await platform.start()
    await add_user(sqlite_url, "alice", "alice-password")
    settings = console_settings(sqlite_url, fake_rasa, wechat_env(platform, api_url))
    console = await start_console(settings)
    try:
        ticket = await queue_handoff(console, OPENID, channel="wechat")
        token = await login(console)
        handoff = ticket["handoff_id"]
        await console.post(f"/handoffs/{handoff}/claim", data={"csrf_token": token})
        headers = {"X-CSRF-Token": token, "Accept": "application/json"}
        reasons = {45015: "48小时", 45047: "已达微信上限"}
        for errcode, reason in reasons.items():
            platform.refuse[OPENID] = errcode
            reply = await console.post(
                f"/handoffs/{handoff}/reply",
                json={"text": f"第{errcode}条回复"},
                headers=headers,
            )
            assert reply.status == 502
            message = (await reply.json())["error"]["message"]
            assert reason in message and str(errcode) in message
        assert platform.texts(OPENID) == []
        assert fake_rasa.events[OPENID] == []  # not in the shopper's transcript
        page = await (await console.get(f"/conversations/{handoff}")).text()
        notes = re.findall(r'<li class="note">.*?</li>', page, re.S)
        assert len(notes) == 2
        assert "【未送达】第45015条回复" in notes[0] and "48小时" in notes[0]
        assert "【未送达】第45047条回复" in notes[1]
    finally:
        await console.close()
        await platform.stop()
