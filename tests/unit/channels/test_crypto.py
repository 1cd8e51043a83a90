import base64
import hashlib
import hmac
import socket
import struct

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import check_signature as wechatpy_check_signature

from bot.wechat import crypto
from bot.wechat.crypto import (
    MessageCrypto,
    check_signature,
    check_timestamp,
)
from bot.wechat.errors import (
    DecryptionFailed,
    InvalidSignature,
    StaleTimestamp,
)

from .conftest import AES_KEY, APP_ID, TOKEN, fixture_xml


def reference_signature(*values: str) -> str:
    return hashlib.sha1("".join(sorted(values)).encode()).hexdigest()


def test_signature_is_sha1_of_sorted_values():
    assert crypto.sign(TOKEN, "1731300000", "42") == reference_signature(
        TOKEN, "1731300000", "42"
    )
    wechatpy_check_signature(
        TOKEN, crypto.sign(TOKEN, "1731300000", "42"), "1731300000", "42"
    )


def test_signature_check_accepts_the_right_one_in_constant_time(monkeypatch):
    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(crypto.hmac, "compare_digest", spy)
    check_signature(TOKEN, reference_signature(TOKEN, "1", "2"), "1", "2")
    assert calls


@pytest.mark.parametrize("signature", ["", "0" * 40, "not-hex", "签名", None])
def test_wrong_or_missing_signature_is_refused(signature):
    with pytest.raises(InvalidSignature):
        check_signature(TOKEN, signature or "", "1", "2")


def test_timestamp_inside_the_window_is_accepted():
    assert check_timestamp("1000", 300, now=1300) == 1000
    assert check_timestamp("1300", 300, now=1000) == 1300


@pytest.mark.parametrize("timestamp", ["699", "1301", "", "abc", "-5", "１０００"])
def test_timestamp_outside_the_window_or_garbage_is_refused(timestamp):
    with pytest.raises(StaleTimestamp):
        check_timestamp(timestamp, 300, now=1000)


def independent_encrypt(xml: str, random16: bytes) -> str:
    """WeChat's format written out with `cryptography` directly, not wechatpy."""
    key = base64.b64decode(AES_KEY + "=")
    body = xml.encode()
    plain = (
        random16 + struct.pack("I", socket.htonl(len(body))) + body + APP_ID.encode()
    )
    padder_size = 32 - len(plain) % 32
    plain += bytes([padder_size]) * padder_size
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def test_decrypt_reads_what_an_independent_encryptor_wrote():
    xml = fixture_xml("text.xml")
    encrypt = independent_encrypt(xml, b"0123456789abcdef")
    signature = reference_signature(TOKEN, "1731300000", "nonce", encrypt)
    assert (
        MessageCrypto(TOKEN, AES_KEY, APP_ID).decrypt(
            encrypt, signature, "1731300000", "nonce"
        )
        == xml
    )


def test_encrypt_with_a_fixed_random_part_matches_the_independent_encryptor(
    monkeypatch,
):
    monkeypatch.setattr(PrpCrypto, "get_random_string", lambda self: "0123456789abcdef")
    sealed = MessageCrypto(TOKEN, AES_KEY, APP_ID).encrypt("<xml>好</xml>", "n", "1")
    assert independent_encrypt("<xml>好</xml>", b"0123456789abcdef") in sealed
    # and WeChat's side (wechatpy as the peer) verifies and opens it
    assert (
        WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
            sealed, _sig(sealed), "1", "n"
        )
        == "<xml>好</xml>"
    )


def _sig(sealed: str) -> str:
    start = sealed.index("<MsgSignature><![CDATA[") + len("<MsgSignature><![CDATA[")
    return sealed[start : sealed.index("]]>", start)]


def test_wrong_msg_signature_is_refused_before_decrypting():
    encrypt = independent_encrypt("<xml/>", b"0123456789abcdef")
    with pytest.raises(InvalidSignature):
        MessageCrypto(TOKEN, AES_KEY, APP_ID).decrypt(encrypt, "0" * 40, "1", "n")


def test_message_for_another_app_id_is_refused():
    peer = WeChatCrypto(TOKEN, AES_KEY, "wxsomebodyelse0000")
    sealed = peer.encrypt_message("<xml/>", "n", "1")
    encrypt = sealed.split("<Encrypt><![CDATA[")[1].split("]]>")[0]
    with pytest.raises(DecryptionFailed):
        MessageCrypto(TOKEN, AES_KEY, APP_ID).decrypt(encrypt, _sig(sealed), "1", "n")


@pytest.mark.parametrize(
    "encrypt", ["not base64!", "AAAA", base64.b64encode(b"x" * 33).decode()]
)
def test_garbage_ciphertext_is_refused(encrypt):
    signature = reference_signature(TOKEN, "1", "n", encrypt)
    with pytest.raises(DecryptionFailed):
        MessageCrypto(TOKEN, AES_KEY, APP_ID).decrypt(encrypt, signature, "1", "n")


def test_invalid_aes_key_is_a_startup_error():
    with pytest.raises(ValueError):
        MessageCrypto(TOKEN, "!" * 43, APP_ID)
