import json
import re

import pytest
from aioresponses import aioresponses

from bot.wechat.client import WeChatApiClient
from bot.wechat.errors import (
    AccessTokenError,
    CustomerServiceQuotaExceeded,
    CustomerServiceWindowClosed,
    WeChatApiError,
    WeChatTransportError,
)

BASE = "http://wechat.test"
TOKEN_URL = re.compile(r"^http://wechat\.test/cgi-bin/token\?.*$")
SEND_URL = re.compile(r"^http://wechat\.test/cgi-bin/message/custom/send\?.*$")


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
async def client():
    clock = Clock()
    api = WeChatApiClient("wx1", "secret", BASE, clock=clock, refresh_margin=300)
    api.clock = clock  # type: ignore[attr-defined]  # the tests move time
    yield api
    await api.close()


def calls(mocked, pattern):
    return [
        (key, call)
        for key, value in mocked.requests.items()
        for call in value
        if pattern.match(str(key[1]))
    ]


async def test_token_is_cached_and_refreshed_before_it_expires(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.get(TOKEN_URL, payload={"access_token": "T2", "expires_in": 7200})
        assert await client.access_token() == "T1"
        client.clock.now += 6800  # 100 s before expiry, inside the 300 s margin
        assert await client.access_token() == "T1"
        client.clock.now += 200
        assert await client.access_token() == "T2"
        assert len(calls(mocked, TOKEN_URL)) == 2


async def test_token_stays_cached_well_before_expiry(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        for _ in range(5):
            assert await client.access_token() == "T1"
        client.clock.now += 6000
        assert await client.access_token() == "T1"
        assert len(calls(mocked, TOKEN_URL)) == 1


async def test_text_is_sent_as_utf8_json(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.post(SEND_URL, payload={"errcode": 0, "errmsg": "ok"})
        await client.send_text("openid-1", "您好，亲")
        ((key, call),) = calls(mocked, SEND_URL)
        assert "access_token=T1" in str(key[1])
        assert "您好".encode() in call.kwargs["data"]
        assert json.loads(call.kwargs["data"]) == {
            "touser": "openid-1",
            "msgtype": "text",
            "text": {"content": "您好，亲"},
        }


@pytest.mark.parametrize("errcode", [40001, 42001])
async def test_expired_token_is_refreshed_once_and_the_call_retried_once(
    client, errcode
):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.get(TOKEN_URL, payload={"access_token": "T2", "expires_in": 7200})
        mocked.post(SEND_URL, payload={"errcode": errcode, "errmsg": "expired"})
        mocked.post(SEND_URL, payload={"errcode": 0, "errmsg": "ok"})
        await client.send_text("openid-1", "您好")
        sends = calls(mocked, SEND_URL)
        assert ["access_token=T1" in str(k[1]) for k, _ in sends] == [True, False]
        assert len(calls(mocked, TOKEN_URL)) == 2


async def test_a_second_token_error_is_raised_not_looped(client):
    with aioresponses() as mocked:
        mocked.get(
            TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200}, repeat=True
        )
        mocked.post(SEND_URL, payload={"errcode": 40001, "errmsg": "bad"}, repeat=True)
        with pytest.raises(WeChatApiError) as raised:
            await client.send_text("openid-1", "您好")
        assert raised.value.errcode == 40001
        assert len(calls(mocked, SEND_URL)) == 2


@pytest.mark.parametrize(
    ("errcode", "error"),
    [(45015, CustomerServiceWindowClosed), (45047, CustomerServiceQuotaExceeded)],
)
async def test_customer_service_refusals_are_typed_and_not_retried(
    client, errcode, error
):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.post(SEND_URL, payload={"errcode": errcode, "errmsg": "no"}, repeat=True)
        with pytest.raises(error) as raised:
            await client.send_text("openid-1", "您好")
        assert raised.value.errcode == errcode
        assert len(calls(mocked, SEND_URL)) == 1


async def test_token_refusal_is_an_access_token_error(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"errcode": 40164, "errmsg": "invalid ip"})
        with pytest.raises(AccessTokenError) as raised:
            await client.access_token()
        assert raised.value.errcode == 40164


async def test_unreachable_platform_is_a_transport_error(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, status=502)
        with pytest.raises(WeChatTransportError):
            await client.access_token()
        mocked.get(TOKEN_URL, body="<html>not json</html>")
        with pytest.raises(WeChatTransportError):
            await client.access_token()


QRCODE_URL = re.compile(r"^http://wechat\.test/cgi-bin/qrcode/create\?.*$")


async def test_a_permanent_string_scene_qrcode_is_created(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.post(
            QRCODE_URL,
            payload={"ticket": "gQH47/8AAA==", "url": "http://weixin.qq.com/q/abc"},
        )
        code = await client.create_qrcode("warranty:SN3F7T1W6B2X")
        ((key, call),) = calls(mocked, QRCODE_URL)
    assert "access_token=T1" in str(key[1])
    assert json.loads(call.kwargs["data"]) == {
        "action_name": "QR_LIMIT_STR_SCENE",
        "action_info": {"scene": {"scene_str": "warranty:SN3F7T1W6B2X"}},
    }
    assert (code.scene, code.ticket, code.url) == (
        "warranty:SN3F7T1W6B2X", "gQH47/8AAA==", "http://weixin.qq.com/q/abc",
    )  # fmt: skip
    assert code.image_url == (
        "https://mp.weixin.qq.com/cgi-bin/showqrcode?ticket=gQH47%2F8AAA%3D%3D"
    )


async def test_a_refused_qrcode_raises_with_the_errcode(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.post(QRCODE_URL, payload={"errcode": 40053, "errmsg": "invalid"})
        with pytest.raises(WeChatApiError) as raised:
            await client.create_qrcode("warranty:SN3F7T1W6B2X")
    assert raised.value.errcode == 40053


MEDIA_URL = re.compile(r"^http://wechat\.test/cgi-bin/media/get\?.*$")


async def test_media_is_downloaded_with_the_token_and_its_type(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.get(MEDIA_URL, body=b"\xff\xd8\xffpicture", content_type="image/jpeg")
        media = await client.get_media("M1", max_bytes=100)
        assert (media.data, media.content_type) == (
            b"\xff\xd8\xffpicture",
            "image/jpeg",
        )
        ((key, _call),) = calls(mocked, MEDIA_URL)
        assert "access_token=T1" in str(key[1]) and "media_id=M1" in str(key[1])


async def test_media_download_stops_one_byte_past_the_limit(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.get(MEDIA_URL, body=b"\xff" * 5000, content_type="image/jpeg")
        media = await client.get_media("M1", max_bytes=10)
        assert len(media.data) == 11


async def test_media_error_json_is_raised_with_its_errcode(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.get(
            MEDIA_URL,
            body=json.dumps({"errcode": 40007, "errmsg": "invalid media_id"}),
            content_type="text/plain",
        )
        with pytest.raises(WeChatApiError) as raised:
            await client.get_media("gone", max_bytes=100)
        assert raised.value.errcode == 40007


async def test_media_with_a_refused_token_is_fetched_again_once(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.get(TOKEN_URL, payload={"access_token": "T2", "expires_in": 7200})
        mocked.get(MEDIA_URL, payload={"errcode": 42001, "errmsg": "expired"})
        mocked.get(MEDIA_URL, body=b"GIF89a", content_type="image/gif")
        media = await client.get_media("M1", max_bytes=100)
        assert media.data == b"GIF89a"
        assert len(calls(mocked, TOKEN_URL)) == 2


UPLOAD_URL = re.compile(r"^http://wechat\.test/cgi-bin/media/upload\?.*$")
SEND_URL = re.compile(r"^http://wechat\.test/cgi-bin/message/custom/send\?.*$")


async def test_a_picture_is_uploaded_then_sent_as_an_image_message(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.post(UPLOAD_URL, payload={"type": "image", "media_id": "MID"})
        mocked.post(SEND_URL, payload={"errcode": 0, "errmsg": "ok"})
        await client.send_image("o-1", b"\x89PNG\r\n\x1a\nrest", "k.png")
        ((key, _upload),) = calls(mocked, UPLOAD_URL)
        assert "type=image" in str(key[1]) and "access_token=T1" in str(key[1])
        ((_, send),) = calls(mocked, SEND_URL)
        assert json.loads(send.kwargs["data"]) == {
            "touser": "o-1",
            "msgtype": "image",
            "image": {"media_id": "MID"},
        }


async def test_an_upload_with_a_refused_token_is_sent_again_once(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.get(TOKEN_URL, payload={"access_token": "T2", "expires_in": 7200})
        mocked.post(UPLOAD_URL, payload={"errcode": 40001, "errmsg": "invalid"})
        mocked.post(UPLOAD_URL, payload={"type": "image", "media_id": "MID2"})
        assert await client.upload_image(b"GIF89a", "k.gif") == "MID2"
        assert len(calls(mocked, TOKEN_URL)) == 2


async def test_a_refused_upload_raises_with_its_errcode(client):
    with aioresponses() as mocked:
        mocked.get(TOKEN_URL, payload={"access_token": "T1", "expires_in": 7200})
        mocked.post(UPLOAD_URL, payload={"errcode": 40005, "errmsg": "invalid type"})
        with pytest.raises(WeChatApiError) as raised:
            await client.upload_image(b"RIFF....WEBP", "k.webp")
        assert raised.value.errcode == 40005
