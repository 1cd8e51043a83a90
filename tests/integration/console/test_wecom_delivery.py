"""An agent's reply reaches a 微信客服 (WeCom kf) shopper through ``kf/send_msg``.

The platform is the WeCom simulator (bot/devtools/wecom_simulator.py); the
console sends through the channel's own relay (``bot.wecom.relay``).
"""

from __future__ import annotations

import base64
import os

from bot.console.users import add_user
from bot.devtools.wecom_simulator import OPEN_KFID, WeComPlatform
from tests.integration.console.conftest import (
    console_settings,
    login,
    queue_handoff,
    start_console,
)

USER = "wmShopperConsole01"
CONVERSATION = f"wecom:{OPEN_KFID}:{USER}"


def _aes_key() -> str:
    return base64.b64encode(os.urandom(32)).decode().rstrip("=")


async def _console_for(platform: WeComPlatform, sqlite_url, fake_rasa):
    await add_user(sqlite_url, "alice", "alice-password")
    environ = {
        "WECOM_TOKEN": platform.token,
        "WECOM_AES_KEY": platform.aes_key,
        "WECOM_CORP_ID": platform.corp_id,
        "WECOM_KF_SECRET": platform.kf_secret,
        "WECOM_API_BASE_URL": platform.api_url,
    }
    return await start_console(console_settings(sqlite_url, fake_rasa, environ))


async def _claimed(console) -> tuple[int, str]:
    ticket = await queue_handoff(console, CONVERSATION, channel="wecom")
    token = await login(console)
    claim = await console.post(
        f"/handoffs/{ticket['handoff_id']}/claim",
        data={"csrf_token": token},
        allow_redirects=False,
    )
    assert claim.status == 303
    return ticket["handoff_id"], token


async def test_agent_reply_reaches_the_kf_shopper_and_the_queue_names_the_channel(
    sqlite_url, fake_rasa
):
    platform = WeComPlatform(token="console-kf", aes_key=_aes_key())
    await platform.start()
    platform.customer_says(USER, "转人工")  # opens the session and its quota
    console = await _console_for(platform, sqlite_url, fake_rasa)
    try:
        handoff_id, token = await _claimed(console)
        queue = await (await console.get("/api/queue")).json()
        assert [item["channel"] for item in queue["mine"]] == ["微信客服"]
        reply = await console.post(
            f"/handoffs/{handoff_id}/reply",
            json={"text": "您好，我是人工客服小王"},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )
        assert reply.status == 200, await reply.text()
        assert platform.texts_for(USER) == ["您好，我是人工客服小王"]
        assert fake_rasa.events[CONVERSATION][0]["text"] == "您好，我是人工客服小王"
    finally:
        await console.close()
        await platform.stop()


async def test_a_send_refused_by_session_state_is_reported_in_chinese(
    sqlite_url, fake_rasa
):
    platform = WeComPlatform(token="console-kf", aes_key=_aes_key())
    await platform.start()
    platform.customer_says(USER, "转人工")
    platform.session(OPEN_KFID, USER).state = 3  # a WeCom agent holds it
    console = await _console_for(platform, sqlite_url, fake_rasa)
    try:
        handoff_id, token = await _claimed(console)
        reply = await console.post(
            f"/handoffs/{handoff_id}/reply",
            json={"text": "您好"},
            headers={"X-CSRF-Token": token, "Accept": "application/json"},
        )
        body = await reply.json()
        assert reply.status >= 400
        assert "95018" in body["error"]["message"]
        assert platform.texts_for(USER) == []
        assert [sent.errcode for sent in platform.refused] == [95018]
    finally:
        await console.close()
        await platform.stop()
