"""Verification, the three modes and every rejection, through real HTTP."""

import time

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.devtools.wechat_simulator import ACCOUNT, UNAVAILABLE, wechat_signature


async def test_server_url_verification_echoes_echostr(make_harness):
    h = await make_harness()
    assert await h.platform.verify(h.platform.verification_params("e-123")) == (
        200,
        "e-123",
    )


@pytest.mark.parametrize(
    "tamper",
    [
        lambda p: p.update(signature="0" * 40),
        lambda p: p.pop("signature"),
        lambda p: p.pop("echostr"),
        lambda p: p.update(timestamp=str(int(time.time()) - 3600)),
    ],
)
async def test_verification_with_anything_wrong_is_403(make_harness, tamper):
    h = await make_harness()
    params = h.platform.verification_params("e-123")
    tamper(params)
    status, body = await h.platform.verify(params)
    assert status == 403
    assert "e-123" not in body


@pytest.mark.parametrize("mode", ["plaintext", "compatible", "safe"])
async def test_text_is_answered_passively_in_every_mode(make_harness, mode):
    h = await make_harness(mode=mode)
    result = await h.platform.say("openid-mode", "你好")
    assert result.reply == "收到：你好"
    assert h.platform.texts("openid-mode") == ["收到：你好"]
    assert h.bot.calls == [("openid-mode", "你好")]
    if mode != "plaintext":
        assert "<Encrypt>" in result.accepted.body  # the reply is encrypted too


async def rejected(h, params, body, status):
    got, _ = await h.platform.post(params, body)
    assert got == status
    assert h.bot.calls == []
    assert h.platform.custom_calls == []


async def test_bad_signature_is_refused_unprocessed(make_harness):
    h = await make_harness()
    params, body = h.platform.signed_request(h.platform.text_message("u", "你好"))
    params["signature"] = wechat_signature("wrong-token", params["timestamp"], "1")
    await rejected(h, params, body, 403)


async def test_bad_msg_signature_is_refused_unprocessed(make_harness):
    h = await make_harness(mode="safe")
    params, body = h.platform.signed_request(h.platform.text_message("u", "你好"))
    params["msg_signature"] = "0" * 40
    await rejected(h, params, body, 403)


async def test_replayed_old_request_is_refused_unprocessed(make_harness):
    h = await make_harness()
    old = int(time.time()) - 600
    params, body = h.platform.signed_request(
        h.platform.text_message("u", "你好"), timestamp=old
    )
    await rejected(h, params, body, 403)


async def test_replay_inside_the_window_is_not_processed_twice(make_harness):
    h = await make_harness()
    xml = h.platform.text_message("u-replay", "你好")
    params, body = h.platform.signed_request(xml)
    for _ in range(3):
        status, _ = await h.platform.post(params, body)
        assert status == 200
    assert h.bot.calls == [("u-replay", "你好")]


async def test_oversized_body_is_refused_unprocessed(make_harness):
    h = await make_harness(max_body=2048)
    params, body = h.platform.signed_request(h.platform.text_message("u", "长" * 2000))
    await rejected(h, params, body, 413)


async def test_oversized_chunked_body_is_refused_unprocessed(make_harness):
    h = await make_harness(max_body=2048)
    params, body = h.platform.signed_request(h.platform.text_message("u", "长" * 2000))

    async def chunks():
        for start in range(0, len(body), 512):
            yield body[start : start + 512]

    got, _ = await h.platform.post(params, chunks())
    assert got == 413
    assert h.bot.calls == []


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><FromUserName>u</FromUserName><MsgType>text",
        b"\xff\xfe\x00",
        b'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<xml><ToUserName>a</ToUserName><FromUserName>u</FromUserName>"
        b"<CreateTime>1</CreateTime><MsgType>text</MsgType><Content>&x;</Content>"
        b"<MsgId>1</MsgId></xml>",
    ],
    ids=["malformed", "binary", "xxe"],
)
async def test_malformed_and_hostile_xml_is_refused_unprocessed(make_harness, body):
    h = await make_harness()
    params, _ = h.platform.signed_request(h.platform.text_message("u", "x"))
    await rejected(h, params, body, 400)


async def test_billion_laughs_is_refused_unprocessed(make_harness):
    from pathlib import Path

    h = await make_harness()
    bomb = (
        Path(__file__).parents[2] / "fixtures/wechat/billion_laughs.xml"
    ).read_bytes()
    params, _ = h.platform.signed_request(h.platform.text_message("u", "x"))
    await rejected(h, params, bomb, 400)


async def test_plaintext_push_to_a_safe_mode_server_is_refused(make_harness):
    h = await make_harness(mode="safe")
    params, body = h.platform.signed_request(
        h.platform.text_message("u", "你好"), mode="plaintext"
    )
    await rejected(h, params, body, 403)


def reply_xml(
    to: str, sender: str, kind: str = "text", content: str = "不该给你看的回复"
) -> str:
    return (
        f"<xml><ToUserName><![CDATA[{to}]]></ToUserName>"
        f"<FromUserName><![CDATA[{sender}]]></FromUserName>"
        f"<CreateTime>1</CreateTime><MsgType><![CDATA[{kind}]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content></xml>"
    )


@pytest.mark.parametrize(
    "answer",
    [
        "<html>502 Bad Gateway</html>",
        reply_xml("someone-else", ACCOUNT),  # another shopper's reply
        reply_xml("u-sim", "gh_other"),  # from another account
        reply_xml("u-sim", ACCOUNT, kind="image"),
        reply_xml("u-sim", ACCOUNT, content="长" * 683),  # 2049 bytes
    ],
    ids=["not-xml", "another-shopper", "another-account", "not-text", "too-long"],
)
async def test_simulator_shows_wechats_error_for_an_unusable_answer(
    make_harness, answer
):
    # A server that answers 200 with something WeChat cannot show the shopper.
    async def handler(_: web.Request) -> web.Response:
        return web.Response(text=answer, content_type="text/xml")

    app = web.Application()
    app.router.add_post("/webhooks/wechat/webhook", handler)
    h = await make_harness()
    async with TestServer(app) as server:
        h.platform.server_url = str(server.make_url("")).rstrip("/")
        result = await h.platform.say("u-sim", "你好")
    assert result.reply == UNAVAILABLE
    assert [(d.text, d.via) for d in h.platform.inbox["u-sim"]] == [
        (UNAVAILABLE, "error")
    ]


async def test_simulator_shows_a_usable_answer_as_it_is(make_harness):
    h = await make_harness()
    result = await h.platform.say("u-sim", "你好")
    assert result.reply == "收到：你好"
    assert [(d.text, d.via) for d in h.platform.inbox["u-sim"]] == [
        ("收到：你好", "passive")
    ]


async def test_channel_without_token_is_off(make_harness):
    from bot.rasa_server.channels.wechat import WeChatInput

    from .conftest import StubBot, serve, shutdown

    h = await make_harness()  # for its simulator session only
    url, server = await serve(WeChatInput(None), StubBot())
    try:
        params, body = h.platform.signed_request(h.platform.text_message("u", "你好"))
        assert (await h.platform.post(params, body, server_url=url))[0] == 404
    finally:
        await shutdown(server)
