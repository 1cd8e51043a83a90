"""Callback signatures, timestamp window and AES message crypto (safe mode).

The signing and AES primitives are wechatpy's; only the comparisons are ours,
because wechatpy compares signatures with ``!=`` and we want constant time.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import string
import time

from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.utils import WeChatSigner

from bot.wechat.errors import (
    DecryptionFailed,
    InvalidSignature,
    StaleTimestamp,
)


def sign(token: str, timestamp: str, nonce: str, *extra: str) -> str:
    """WeChat's SHA-1 signature over the sorted, concatenated values.

    Args:
        token: The server-configuration token.
        timestamp: The ``timestamp`` query parameter.
        nonce: The ``nonce`` query parameter.
        *extra: More signed values (``echostr`` is not one; ``Encrypt`` is).

    Returns:
        The lowercase hexadecimal signature.
    """
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, *extra)
    return str(signer.signature)


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(
        expected.encode("ascii"), given.encode("ascii", "replace")
    )


def check_signature(token: str, signature: str, timestamp: str, nonce: str) -> None:
    """Check the ``signature`` query parameter in constant time.

    Raises:
        InvalidSignature: The signature is missing or wrong.
    """
    if not signature or not _same(sign(token, timestamp, nonce), signature.lower()):
        raise InvalidSignature("signature mismatch")


def check_timestamp(timestamp: str, window: int, now: float | None = None) -> int:
    """Refuse timestamps outside ``now ± window`` (replayed or forged requests).

    Args:
        timestamp: The ``timestamp`` query parameter (Unix seconds).
        window: Accepted distance from the server clock, in seconds.
        now: The current time, for tests.

    Returns:
        The timestamp as an integer.

    Raises:
        StaleTimestamp: Missing, not a number, or too far from now.
    """
    if not timestamp.isascii() or not timestamp.isdigit():
        raise StaleTimestamp("timestamp missing or not a number")
    value = int(timestamp)
    current = time.time() if now is None else now
    if abs(current - value) > window:
        raise StaleTimestamp(f"timestamp {value} outside the {window}s window")
    return value


def random_nonce(length: int = 10) -> str:
    """A random decimal nonce, as WeChat uses in its own requests."""
    return "".join(secrets.choice(string.digits) for _ in range(length))


class MessageCrypto:
    """AES-256-CBC message crypto of compatible and safe modes (wechatpy's).

    Args:
        token: The server-configuration token.
        aes_key: The 43-character EncodingAESKey.
        app_id: The Official Account's AppID (checked inside every message).
    """

    def __init__(self, token: str, aes_key: str, app_id: str) -> None:
        try:
            self._key = base64.b64decode(aes_key + "=", validate=True)
        except (binascii.Error, ValueError) as error:
            raise ValueError("the EncodingAESKey is not valid base64") from error
        if len(self._key) != 32:
            raise ValueError("the EncodingAESKey must decode to 32 bytes")
        self._token = token
        self._app_id = app_id
        self._wechatpy = WeChatCrypto(token, aes_key, app_id)

    def decrypt(
        self, encrypt: str, msg_signature: str, timestamp: str, nonce: str
    ) -> str:
        """Check ``msg_signature`` over ``Encrypt``, then decrypt it.

        Args:
            encrypt: The ``Encrypt`` element of the request body.
            msg_signature: The ``msg_signature`` query parameter.
            timestamp: The ``timestamp`` query parameter.
            nonce: The ``nonce`` query parameter.

        Returns:
            The inner message XML.

        Raises:
            InvalidSignature: ``msg_signature`` is missing or wrong.
            DecryptionFailed: Not decryptable, or encrypted for another AppID.
        """
        expected = sign(self._token, timestamp, nonce, encrypt)
        if not msg_signature or not _same(expected, msg_signature.lower()):
            raise InvalidSignature("msg_signature mismatch")
        try:
            return str(PrpCrypto(self._key).decrypt(encrypt, self._app_id))
        except Exception as error:
            # Padding, length, UTF-8 and AppID failures all mean "not for us".
            raise DecryptionFailed(f"cannot decrypt: {type(error).__name__}") from error

    def encrypt(self, xml: str, nonce: str, timestamp: str) -> str:
        """Wrap a reply in the encrypted envelope WeChat expects in safe mode.

        Args:
            xml: The plaintext reply XML.
            nonce: The nonce to sign with (the request's is fine).
            timestamp: The timestamp to sign with.

        Returns:
            ``<xml><Encrypt/><MsgSignature/><TimeStamp/><Nonce/></xml>``.
        """
        return str(self._wechatpy.encrypt_message(xml, nonce, timestamp))
