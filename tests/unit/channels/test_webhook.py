import time

import pytest
from wechatpy.crypto import WeChatCrypto

from bot.devtools.wechat_simulator import WeChatPlatform
from bot.wechat.config import WeChatSettings
from bot.wechat.errors import (
    BodyTooLarge,
    InvalidSignature,
    MalformedMessage,
    RequestRejected,
    StaleTimestamp,
    UnsafeXml,
)
from bot.wechat.parse import MessageKind
from bot.wechat.webhook import WebhookProtocol

from .conftest import AES_KEY, APP_ID, TOKEN, fixture_xml


@pytest.fixture
def platform():
    return WeChatPlatform(token=TOKEN, app_id=APP_ID, aes_key=AES_KEY)


def protocol(aes: bool, **overrides) -> WebhookProtocol:
    return WebhookProtocol(
        WeChatSettings(
            token=TOKEN, aes_key=AES_KEY if aes else None, app_id=APP_ID, **overrides
        )
    )


def test_verification_echoes_echostr(platform):
    assert (
        protocol(False).verify_echo(platform.verification_params("abc123")) == "abc123"
    )


def test_verification_with_a_wrong_signature_is_refused(platform):
    params = platform.verification_params("abc123")
    params["signature"] = "0" * 40
    with pytest.raises(InvalidSignature):
        protocol(False).verify_echo(params)
    with pytest.raises(RequestRejected):
        protocol(False).verify_echo({})


def test_plaintext_message_is_opened(platform):
    params, body = platform.signed_request(fixture_xml("text.xml"), "plaintext")
    callback = protocol(False).open(params, body)
    assert callback.message.text == "我的快递到哪了"
    assert not callback.encrypted
    assert protocol(False).seal(callback, None) == "success"
    assert "<Content><![CDATA[好的]]></Content>" in protocol(False).seal(
        callback, "好的"
    )


@pytest.mark.parametrize("mode", ["compatible", "safe"])
def test_encrypted_message_is_opened_and_the_reply_encrypted(platform, mode):
    params, body = platform.signed_request(fixture_xml("text.xml"), mode)
    callback = protocol(True).open(params, body)
    assert callback.encrypted
    assert callback.message.kind is MessageKind.TEXT
    sealed = protocol(True).seal(callback, "收到")
    signature = sealed.split("<MsgSignature><![CDATA[")[1].split("]]>")[0]
    nonce = sealed.split("<Nonce><![CDATA[")[1].split("]]>")[0]
    inner = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        sealed, signature, callback.timestamp, nonce
    )
    assert "<Content><![CDATA[收到]]></Content>" in inner


def test_compatible_mode_trusts_only_the_encrypted_copy(platform):
    params, body = platform.signed_request(fixture_xml("text.xml"), "compatible")
    forged = body.replace("我的快递到哪了".encode(), "伪造的内容".encode())
    assert protocol(True).open(params, forged).message.text == "我的快递到哪了"


def test_safe_mode_checks_msg_signature(platform):
    params, body = platform.signed_request(fixture_xml("text.xml"), "safe")
    params["msg_signature"] = "0" * 40
    with pytest.raises(InvalidSignature):
        protocol(True).open(params, body)


def test_plaintext_is_refused_once_an_aes_key_is_configured(platform):
    params, body = platform.signed_request(fixture_xml("text.xml"), "plaintext")
    with pytest.raises(RequestRejected):
        protocol(True).open(params, body)


def test_old_timestamp_is_refused(platform):
    old = int(time.time()) - 301
    params, body = platform.signed_request(fixture_xml("text.xml"), "plaintext", old)
    with pytest.raises(StaleTimestamp):
        protocol(False).open(params, body)


def test_oversized_body_is_refused(platform):
    params, body = platform.signed_request(fixture_xml("text.xml"), "plaintext")
    with pytest.raises(BodyTooLarge):
        protocol(False, max_body=len(body) - 1).open(params, body)


@pytest.mark.parametrize("mode", ["plaintext", "safe"])
@pytest.mark.parametrize("name", ["xxe.xml", "billion_laughs.xml"])
def test_entity_payloads_are_refused_even_when_encrypted(platform, mode, name):
    params, body = platform.signed_request(fixture_xml("text.xml"), mode)
    evil = fixture_xml(name)
    if mode == "plaintext":
        body = evil.encode()
    else:  # validly encrypted and signed: the attacker knows the key
        params, body = platform.signed_request(
            fixture_xml("text.xml").replace("<xml>", "<xml>", 1), mode
        )
        sealed = platform.crypto.encrypt_message(
            evil, params["nonce"], params["timestamp"]
        )
        encrypt = sealed.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
        from bot.devtools.wechat_simulator import wechat_signature

        params["msg_signature"] = wechat_signature(
            TOKEN, params["timestamp"], params["nonce"], encrypt
        )
        body = f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>".encode()
    with pytest.raises(UnsafeXml):
        protocol(mode == "safe").open(params, body)


def test_malformed_body_is_refused(platform):
    params, _ = platform.signed_request(fixture_xml("text.xml"), "plaintext")
    for body in (fixture_xml("malformed.xml").encode(), b"\xff\xfe", b""):
        with pytest.raises(MalformedMessage):
            protocol(False).open(params, body)
