"""Pictures in the console: in the transcript, from agents, from the web chat.

A real console (aiohttp test server, SQLite) against the fake Rasa server of
``conftest.py``, a real media directory, and the WeChat and WeCom simulators
as the platforms. Uploads are checked by content and size whatever their
name or declared type; pictures are served only inside a conversation that
shows them, to the people who may read its transcript.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import aiohttp
import pytest
from aiohttp.test_utils import TestClient

from bot.console.keys import NUDGES
from bot.console.users import add_user
from bot.devtools.wechat_simulator import WeChatPlatform
from bot.devtools.wecom_simulator import OPEN_KFID, WeComPlatform
from bot.platform.media_store import LocalMediaStore
from tests.integration.console.conftest import (
    console_settings,
    login,
    queue_handoff,
    start_console,
)

JPEG = (
    Path(__file__).resolve().parents[2] / "fixtures" / "media" / "broken_earbuds.jpg"
).read_bytes()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + os.urandom(64)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + os.urandom(32)
MAX_BYTES = 200_000


def key_of(data: bytes, ext: str) -> str:
    return f"{hashlib.sha256(data).hexdigest()}.{ext}"


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    return tmp_path / "media"


async def make_console(sqlite_url, fake_rasa, media_dir: Path, **environ: str):
    await add_user(sqlite_url, "alice", "alice-password")
    await add_user(sqlite_url, "bob", "bob-password")
    env = {"MEDIA_DIR": str(media_dir), "MEDIA_MAX_BYTES": str(MAX_BYTES), **environ}
    return await start_console(console_settings(sqlite_url, fake_rasa, env))


@pytest.fixture
async def console(sqlite_url, fake_rasa, media_dir):
    client = await make_console(sqlite_url, fake_rasa, media_dir)
    yield client
    await client.close()


async def claimed(console, conversation: str, channel: str = "web") -> tuple[int, str]:
    ticket = await queue_handoff(console, conversation, channel=channel)
    token = await login(console)
    claim = await console.post(
        f"/handoffs/{ticket['handoff_id']}/claim",
        data={"csrf_token": token},
        allow_redirects=False,
    )
    assert claim.status == 303
    return ticket["handoff_id"], token


async def upload(console, handoff: int, token: str | None, data: bytes, **part):
    form = aiohttp.FormData()
    form.add_field(
        "image",
        data,
        filename=part.get("filename", "photo.jpg"),
        content_type=part.get("content_type", "image/jpeg"),
    )
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["X-CSRF-Token"] = token
    return await console.post(f"/handoffs/{handoff}/image", data=form, headers=headers)


def shopper_picture(ref: str) -> dict:
    return {
        "event": "user",
        "text": "/send_image" + json.dumps({"image_ref": ref}),
        "timestamp": 1.0,
        "parse_data": {
            "intent": {"name": "send_image"},
            "entities": [{"entity": "image_ref", "value": ref}],
        },
    }


async def test_a_shoppers_picture_is_shown_to_the_agent_holding_the_conversation(
    console, fake_rasa, media_dir
):
    ref = await LocalMediaStore(media_dir).save(JPEG)
    other = await LocalMediaStore(media_dir).save(PNG)  # another conversation's
    fake_rasa.events["wechat:o-pic-1"].append(shopper_picture(str(ref)))
    fake_rasa.events["wechat:o-pic-2"].append(shopper_picture(str(other)))
    ticket = await queue_handoff(console, "wechat:o-pic-1", channel="wechat")
    handoff = ticket["handoff_id"]
    url = f"/handoffs/{handoff}/media/{ref.key}"
    # Nobody logged in: no picture.
    anonymous = await console.get(url, allow_redirects=False)
    assert anonymous.status == 303 and anonymous.headers["Location"] == "/login"
    # Staff who do not hold it read the masked transcript: no picture either.
    token = await login(console, "bob")
    page = await (await console.get(f"/conversations/{handoff}")).text()
    assert "[图片]（接入后可查看）" in page and ref.key not in page
    assert (await console.get(url)).status == 403
    await console.post("/logout", headers={"X-CSRF-Token": token})
    # The agent who claims it sees it.
    token = await login(console, "alice")
    claim = await console.post(
        f"/handoffs/{handoff}/claim", data={"csrf_token": token}, allow_redirects=False
    )
    assert claim.status == 303
    page = await (await console.get(f"/conversations/{handoff}")).text()
    assert f'<img src="{url}"' in page
    assert "/send_image" not in page
    picture = await console.get(url)
    assert picture.status == 200
    assert await picture.read() == JPEG
    assert picture.headers["Content-Type"] == "image/jpeg"
    assert picture.headers["X-Content-Type-Options"] == "nosniff"
    # A picture kept in the store but not shown in this conversation: none.
    assert (await console.get(f"/handoffs/{handoff}/media/{other.key}")).status == 404
    # The live transcript carries the picture's key, not the raw message.
    lines = []
    async with console.get(f"/api/handoffs/{handoff}/stream?from=0") as stream:
        async for raw in stream.content:
            if raw.startswith(b"data:") and b"shopper" in raw:
                lines = json.loads(raw[5:])
                break
    assert lines[0]["image"] == ref.key and lines[0]["text"] == "[图片]"


@pytest.mark.parametrize(
    "key",
    [
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "..%2Fconsole.db",
        "%2E%2E",
        "0" * 64 + ".html",
        "0" * 64 + ".jpg%2F..%2F..%2Fx",
        "A" * 64 + ".jpg",
        "0" * 63 + ".jpg",
    ],
)
async def test_a_picture_path_that_is_not_a_reference_is_not_found(
    console, fake_rasa, media_dir, key
):
    (media_dir.parent / "secret.txt").write_text("secret")
    fake_rasa.events["wechat:o-trav"].append(shopper_picture("media:" + "0" * 64))
    handoff, _ = await claimed(console, "wechat:o-trav", "wechat")
    answer = await console.get(f"/handoffs/{handoff}/media/{key}")
    assert answer.status == 404
    assert b"secret" not in await answer.read()


async def test_an_agents_picture_reaches_the_web_chat_shopper(console, fake_rasa):
    # The shopper's browser (its own cookies) makes the conversation.
    shopper = TestClient(console.server)
    await shopper.start_server()
    await shopper.get("/chat")
    sent = await shopper.post("/chat/api/send", json={"message": "转人工"})
    assert sent.status == 200
    (conversation,) = [c for c in fake_rasa.events if c.startswith("web:")]
    handoff, token = await claimed(console, conversation)
    answer = await upload(console, handoff, token, PNG, filename="x.jpg")
    assert answer.status == 200, await answer.text()
    key = key_of(PNG, "png")  # the content decides, not the name
    assert fake_rasa.events[conversation][-1] == {
        "event": "bot",
        "text": "[图片]",
        "data": {"image": f"media:{key}"},
        "metadata": {"agent": "alice"},
    }
    messages = (await (await shopper.get("/chat/api/messages")).json())["messages"]
    assert messages[-1]["image"] == f"/chat/api/media/{key}"
    shown = await shopper.get(messages[-1]["image"])
    assert shown.status == 200 and await shown.read() == PNG
    # The agent's session has no chat: the shopper's picture is not its to see.
    assert (await console.get(messages[-1]["image"])).status == 404
    await shopper.session.close()


async def test_an_agents_picture_wakes_the_conversations_live_updates_at_once(
    console, fake_rasa
):
    shopper = TestClient(console.server)
    await shopper.start_server()
    await shopper.get("/chat")
    assert (
        await shopper.post("/chat/api/send", json={"message": "转人工"})
    ).status == 200
    (conversation,) = [c for c in fake_rasa.events if c.startswith("web:")]
    handoff, token = await claimed(console, conversation)

    with console.server.app[NUDGES].listen(conversation) as woken:
        answer = await upload(console, handoff, token, PNG, filename="x.png")
        assert answer.status == 200, await answer.text()
        assert woken.is_set()
    await shopper.session.close()


async def test_uploads_are_checked_by_content_size_csrf_and_owner(
    console, fake_rasa, media_dir
):
    handoff, token = await claimed(console, "web:upload-checks")
    # Not an image, whatever its name and declared type say.
    forged = await upload(console, handoff, token, b"<html><script>", filename="a.jpg")
    assert forged.status == 415
    assert "不是图片" in (await forged.json())["error"]["message"]
    # Too large.
    big = await upload(console, handoff, token, JPEG[:4] + bytes(MAX_BYTES))
    assert big.status == 413
    assert "太大" in (await big.json())["error"]["message"]
    # No CSRF token: refused before anything is read.
    no_csrf = await upload(console, handoff, None, PNG)
    assert no_csrf.status == 403
    # An HTML name and type around a PNG: kept as a PNG, served as one.
    renamed = await upload(
        console, handoff, token, PNG, filename="x.html", content_type="text/html"
    )
    assert renamed.status == 200
    assert (await renamed.json())["image"] == key_of(PNG, "png")
    assert fake_rasa.events["web:upload-checks"][-1]["data"]["image"].endswith(".png")
    assert sorted(p.name for p in media_dir.rglob("*") if p.is_file()) == [
        key_of(PNG, "png")
    ]
    # Bob does not hold the conversation.
    await console.post("/logout", headers={"X-CSRF-Token": token})
    bob_token = await login(console, "bob")
    not_his = await upload(console, handoff, bob_token, PNG)
    assert not_his.status == 409


async def test_an_agents_picture_reaches_the_wechat_shopper_as_an_image_message(
    sqlite_url, fake_rasa, media_dir
):
    platform = WeChatPlatform(token="console-media")
    api_url = await platform.start()
    console = await make_console(
        sqlite_url,
        fake_rasa,
        media_dir,
        WECHAT_TOKEN="console-media",
        WECHAT_APP_ID=platform.app_id,
        WECHAT_APP_SECRET=platform.app_secret,
        WECHAT_API_BASE_URL=api_url,
    )
    try:
        handoff, token = await claimed(console, "wechat:o-agent-pic", "wechat")
        answer = await upload(console, handoff, token, JPEG)
        assert answer.status == 200, await answer.text()
        assert platform.images("o-agent-pic") == [JPEG]
        (uploaded,) = platform.api.uploads.values()
        send = platform.custom_calls[-1]["body"]
        assert send["msgtype"] == "image" and send["touser"] == "o-agent-pic"
        assert platform.api.uploads[send["image"]["media_id"]] is uploaded
        # WeChat's temporary media takes no WebP: not delivered, and said so.
        webp = await upload(console, handoff, token, WEBP, filename="a.webp")
        assert webp.status == 502
        assert "未送达" in (await webp.json())["error"]["message"]
        assert platform.images("o-agent-pic") == [JPEG]
        page = await (await console.get(f"/conversations/{handoff}")).text()
        assert "【未送达】[图片]" in page
        # The window closed (45015): refused like a text.
        platform.refuse["o-agent-pic"] = 45015
        closed = await upload(console, handoff, token, PNG)
        assert closed.status == 502
        assert "45015" in (await closed.json())["error"]["message"]
    finally:
        await console.close()
        await platform.stop()


async def test_an_agents_picture_reaches_the_kf_shopper(
    sqlite_url, fake_rasa, media_dir
):
    aes_key = base64.b64encode(os.urandom(32)).decode().rstrip("=")
    platform = WeComPlatform(token="console-kf-media", aes_key=aes_key)
    await platform.start()
    console = await make_console(
        sqlite_url,
        fake_rasa,
        media_dir,
        WECOM_TOKEN=platform.token,
        WECOM_AES_KEY=platform.aes_key,
        WECOM_CORP_ID=platform.corp_id,
        WECOM_KF_SECRET=platform.kf_secret,
        WECOM_API_BASE_URL=platform.api_url,
    )
    user = "wmMediaShopper01"
    try:
        platform.customer_says(user, "转人工")  # opens the session and its quota
        handoff, token = await claimed(console, f"wecom:{OPEN_KFID}:{user}", "wecom")
        answer = await upload(console, handoff, token, PNG)
        assert answer.status == 200, await answer.text()
        (sent,) = [s for s in platform.outbox if s.external_userid == user]
        assert sent.image == PNG and sent.text == "[图片]"
        assert len(platform.media.uploads) == 1
        # A session a WeCom agent holds refuses it (95018): 未送达.
        platform.session(OPEN_KFID, user).state = 3
        refused = await upload(console, handoff, token, JPEG)
        assert refused.status == 502
        assert "95018" in (await refused.json())["error"]["message"]
    finally:
        await console.close()
        await platform.stop()


async def test_a_web_chat_photo_reaches_rasa_as_a_picture(console, fake_rasa):
    await console.get("/chat")
    sent = await console.post(
        "/chat/api/image",
        data=JPEG,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert sent.status == 200, await sent.text()
    body = await sent.json()
    key = key_of(JPEG, "jpg")
    assert body["image"] == f"/chat/api/media/{key}"
    (conversation,) = [c for c in fake_rasa.events if c.startswith("web:")]
    assert fake_rasa.events[conversation][-1]["text"] == (
        "/send_image" + json.dumps({"image_ref": f"media:{key}"})
    )
    assert (await console.get(body["image"])).status == 200


async def test_a_web_chat_upload_that_is_no_photo_is_refused_in_chinese(
    console, fake_rasa
):
    await console.get("/chat")
    octet = {"Content-Type": "application/octet-stream"}
    text = await console.post("/chat/api/image", data=b"%PDF-1.7", headers=octet)
    assert text.status == 415
    assert "只能收下照片" in (await text.json())["error"]["message"]
    big = await console.post(
        "/chat/api/image", data=JPEG[:4] + bytes(MAX_BYTES), headers=octet
    )
    assert big.status == 413
    assert "太大" in (await big.json())["error"]["message"]
    # A plain form (what another site could post): refused.
    form = aiohttp.FormData()
    form.add_field("image", JPEG, filename="a.jpg", content_type="image/jpeg")
    assert (await console.post("/chat/api/image", data=form)).status == 415
    assert not any(c.startswith("web:") for c in fake_rasa.events)


async def test_the_web_chat_serves_only_its_own_pictures(console, fake_rasa, media_dir):
    ref = await LocalMediaStore(media_dir).save(JPEG)
    fake_rasa.events["web:somebody-else"].append(shopper_picture(str(ref)))
    await console.get("/chat")
    assert (await console.get(f"/chat/api/media/{ref.key}")).status == 404
    assert (await console.get("/chat/api/media/..%2F..%2Fsecret")).status == 404


async def test_the_upload_form_works_without_javascript(console, fake_rasa):
    handoff, token = await claimed(console, "web:no-script")
    form = aiohttp.FormData()
    form.add_field("csrf_token", token)
    form.add_field("image", PNG, filename="dot.png", content_type="image/png")
    answer = await console.post(
        f"/handoffs/{handoff}/image", data=form, allow_redirects=False
    )
    assert answer.status == 303
    assert answer.headers["Location"] == f"/conversations/{handoff}"
    assert fake_rasa.events["web:no-script"][-1]["data"] == {
        "image": f"media:{key_of(PNG, 'png')}"
    }
    forged = aiohttp.FormData()
    forged.add_field("csrf_token", "not-the-token")
    forged.add_field("image", PNG, filename="dot.png", content_type="image/png")
    refused = await console.post(f"/handoffs/{handoff}/image", data=forged)
    assert refused.status == 403
