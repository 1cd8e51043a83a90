"""Callback crypto against wechatpy's enterprise crypto as the peer, and safe XML."""

from __future__ import annotations

import time

import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from bot.wecom.callback import open_callback, xml_fields
from bot.wecom.crypto import CallbackCrypto
from bot.wecom.errors import DecryptionFailed, InvalidSignature, MalformedCallback

TOKEN = "kf-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
CORP_ID = "ww00112233aabbccdd"
KF_EVENT = (
    "<xml><ToUserName><![CDATA[ww00112233aabbccdd]]></ToUserName>"
    "<CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>"
    "<Event><![CDATA[kf_msg_or_event]]></Event>"
    "<Token><![CDATA[ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR]]></Token>"
    "<OpenKfId><![CDATA[wkxxxxxxxxxxxxxxxxxx]]></OpenKfId></xml>"
)


def sealed(plaintext: str, corp_id: str = CORP_ID) -> tuple[dict[str, str], bytes]:
    """What WeCom sends: query parameters and the envelope body (wechatpy seals)."""
    peer = WeChatCrypto(TOKEN, AES_KEY, corp_id)
    timestamp = str(int(time.time()))
    fields = xml_fields(peer.encrypt_message(plaintext, "nonce123", timestamp))
    params = {
        "msg_signature": fields["MsgSignature"],
        "timestamp": timestamp,
        "nonce": "nonce123",
    }
    body = (
        f"<xml><ToUserName>{corp_id}</ToUserName>"
        f"<Encrypt>{fields['Encrypt']}</Encrypt></xml>"
    )
    return params, body.encode()


@pytest.fixture
def crypto() -> CallbackCrypto:
    return CallbackCrypto(TOKEN, AES_KEY, CORP_ID)


def test_a_sealed_callback_opens_to_the_kf_event(crypto):
    params, body = sealed(KF_EVENT)
    callback = open_callback(crypto, params, body, 65536)
    assert callback is not None
    assert callback.open_kfid == "wkxxxxxxxxxxxxxxxxxx"
    assert callback.token == "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR"
    assert callback.corp_id == CORP_ID
    assert callback.create_time == 1700000000


def test_url_verification_echo_round_trips(crypto):
    peer = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
    timestamp = str(int(time.time()))
    fields = xml_fields(peer.encrypt_message("echo-4711", "n1", timestamp))
    echo = crypto.open(fields["MsgSignature"], timestamp, "n1", fields["Encrypt"])
    assert echo == "echo-4711"


def test_a_forged_signature_is_refused(crypto):
    params, body = sealed(KF_EVENT)
    params["msg_signature"] = "0" * 40
    with pytest.raises(InvalidSignature):
        open_callback(crypto, params, body, 65536)


def test_a_stale_timestamp_is_refused_even_when_signed(crypto):
    params, body = sealed(KF_EVENT)
    encrypted = xml_fields(body)["Encrypt"]
    with pytest.raises(InvalidSignature):
        crypto.check(
            params["msg_signature"],
            params["timestamp"],
            params["nonce"],
            encrypted,
            now=time.time() + 3600,
        )


def test_a_message_sealed_for_another_corp_is_refused(crypto):
    params, body = sealed(KF_EVENT, corp_id="wwsomeoneelse00000")
    with pytest.raises(DecryptionFailed):
        open_callback(crypto, params, body, 65536)


@pytest.mark.parametrize(
    "body",
    [
        b"<xml><Encrypt>abc",
        b"\xff\xfe\x00",
        b"<html><Encrypt>x</Encrypt></html>",
        b"<xml><ToUserName>ww</ToUserName></xml>",
        b'<!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<xml><Encrypt>&x;</Encrypt></xml>",
    ],
    ids=["truncated", "binary", "wrong-root", "no-encrypt", "xxe"],
)
def test_malformed_and_hostile_xml_is_refused(crypto, body):
    params, _ = sealed(KF_EVENT)
    with pytest.raises(MalformedCallback):
        open_callback(crypto, params, body, 65536)


def test_an_oversized_body_is_refused(crypto):
    params, body = sealed(KF_EVENT)
    with pytest.raises(MalformedCallback):
        open_callback(crypto, params, body, len(body) - 1)


def test_other_verified_events_are_not_kf_callbacks(crypto):
    other = KF_EVENT.replace("kf_msg_or_event", "change_external_contact")
    params, body = sealed(other)
    assert open_callback(crypto, params, body, 65536) is None
