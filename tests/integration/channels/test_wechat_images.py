"""Pictures over WeChat: media/get with the access token, checks, storage, the bot.

The simulator keeps what the shopper sends and serves it on ``media/get``;
the channel fetches it, checks it and stores it in a real directory, then the
(stub) bot receives ``/send_image{"image_ref": …}``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from bot.platform.media_store import LocalMediaStore
from bot.wechat.replies import IMAGE_FETCH_FAILED_REPLY, IMAGES_OFF_REPLY
from tests.unit.channels.conftest import fixture_xml

from .conftest import StubBot

MEDIA = Path(__file__).resolve().parents[2] / "fixtures" / "media"
JPEG = (MEDIA / "broken_earbuds.jpg").read_bytes()
NOT_AN_IMAGE = (MEDIA / "invoice_named_as.jpg").read_bytes()


def stored(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def test_a_picture_is_fetched_stored_and_sent_to_the_bot(make_harness, tmp_path):
    bot = StubBot()
    h = await make_harness(bot=bot, media=LocalMediaStore(tmp_path))
    result = await h.platform.send_image("img-1", JPEG, "image/jpeg")
    digest = hashlib.sha256(JPEG).hexdigest()
    ref = f"media:{digest}.jpg"
    assert bot.calls == [("img-1", "/send_image" + json.dumps({"image_ref": ref}))]
    assert result.reply == f"收到：/send_image{json.dumps({'image_ref': ref})}"
    assert [p.read_bytes() for p in stored(tmp_path)] == [JPEG]
    # fetched once, with the access token the channel got from /cgi-bin/token
    assert len(h.platform.api.media_requests) == 1
    assert len(h.platform.token_requests) == 1


async def test_a_file_that_is_not_an_image_is_refused_in_chinese(
    make_harness, tmp_path
):
    bot = StubBot()
    h = await make_harness(bot=bot, media=LocalMediaStore(tmp_path))
    result = await h.platform.send_image("img-2", NOT_AN_IMAGE, "image/jpeg")
    assert result.reply is not None and "只能收下照片" in result.reply
    assert bot.calls == []
    assert stored(tmp_path) == []


async def test_an_oversized_picture_is_refused_in_chinese(make_harness, tmp_path):
    bot = StubBot()
    h = await make_harness(bot=bot, media=LocalMediaStore(tmp_path, max_bytes=100))
    result = await h.platform.send_image("img-3", JPEG + b"\0" * 200, "image/jpeg")
    assert result.reply is not None and "太大" in result.reply
    assert bot.calls == []
    assert stored(tmp_path) == []


async def test_a_media_get_error_is_explained_and_nothing_stored(
    make_harness, tmp_path
):
    bot = StubBot()
    h = await make_harness(bot=bot, media=LocalMediaStore(tmp_path))
    # a MediaId the platform no longer has (older than three days): 40007
    result = await h.platform.push(h.platform.image_message("img-4", "expired-id"))
    assert result.reply == IMAGE_FETCH_FAILED_REPLY
    assert h.platform.api.media_requests == ["expired-id"]
    assert bot.calls == []
    assert stored(tmp_path) == []


async def test_an_expired_token_is_refreshed_once_for_media(make_harness, tmp_path):
    bot = StubBot()
    h = await make_harness(bot=bot, media=LocalMediaStore(tmp_path))
    await h.platform.send_image("img-5", JPEG)
    h.platform.expire_tokens()
    await h.platform.send_image("img-5", JPEG[:-2] + b"\x00\xff\xd9")
    assert len(bot.calls) == 2
    assert len(h.platform.token_requests) == 2
    assert len(stored(tmp_path)) == 2


async def test_a_retried_image_message_is_fetched_once(make_harness, tmp_path):
    bot = StubBot(delay=0.3)
    h = await make_harness(
        bot=bot, media=LocalMediaStore(tmp_path), budget=1.0, attempt_timeout=0.1
    )
    await h.platform.send_image("img-6", JPEG)
    assert h.platform.api.media_requests == [next(iter(h.platform.api.media))]
    assert len(bot.calls) == 1


async def test_without_app_credentials_pictures_are_declined(make_harness, tmp_path):
    bot = StubBot()
    h = await make_harness(
        bot=bot, media=LocalMediaStore(tmp_path), app_id="", app_secret=""
    )
    result = await h.platform.push(fixture_xml("image.xml"))
    assert result.reply == IMAGES_OFF_REPLY
    assert bot.calls == []
