"""Callback signatures and WXBizMsgCrypt decryption (wechatpy's enterprise crypto).

The AES primitives are wechatpy's (``wechatpy.enterprise.crypto``); the
signature comparison is ours, in constant time (wechatpy compares with ``!=``),
and the XML around ``Encrypt`` is parsed by :mod:`bot.wecom.callback`, never by
wechatpy's xmltodict.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import time

from wechatpy.enterprise.crypto import PrpCrypto
from wechatpy.utils import WeChatSigner

from bot.wecom.errors import DecryptionFailed, InvalidSignature


def sign(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """WeCom's ``msg_signature``: SHA-1 over the sorted, concatenated values.

    Args:
        token: The callback token.
        timestamp: The ``timestamp`` query parameter.
        nonce: The ``nonce`` query parameter.
        encrypted: ``echostr`` (verification) or the ``Encrypt`` element.

    Returns:
        The lowercase hexadecimal signature.
    """
    signer = WeChatSigner()
    signer.add_data(token, timestamp, nonce, encrypted)
    return str(signer.signature)


class CallbackCrypto:
    """Checks and opens what WeCom signs and encrypts for the callback URL.

    Args:
        token: ``WECOM_TOKEN``.
        aes_key: ``WECOM_AES_KEY`` (43 characters).
        corp_id: ``WECOM_CORP_ID``: every payload must name it.
        timestamp_window: Accepted clock skew in seconds.
    """

    def __init__(
        self, token: str, aes_key: str, corp_id: str, timestamp_window: int = 300
    ) -> None:
        self._token = token
        try:
            key = base64.b64decode(aes_key + "=")
        except (binascii.Error, ValueError) as error:
            raise ValueError("WECOM_AES_KEY is not base64") from error
        if len(key) != 32:
            raise ValueError("WECOM_AES_KEY does not decode to 32 bytes")
        self._key = key
        self._corp_id = corp_id
        self._window = timestamp_window

    def check(
        self,
        signature: str,
        timestamp: str,
        nonce: str,
        encrypted: str,
        now: float | None = None,
    ) -> None:
        """Check ``msg_signature`` (constant time) and the timestamp window.

        Raises:
            InvalidSignature: Missing or wrong signature, stale or bad timestamp.
        """
        try:
            stamp = int(timestamp)
        except ValueError as error:
            raise InvalidSignature("timestamp missing or not a number") from error
        current = time.time() if now is None else now
        if abs(current - stamp) > self._window:
            raise InvalidSignature("timestamp outside the accepted window")
        expected = sign(self._token, timestamp, nonce, encrypted)
        given = signature.lower().encode("ascii", "replace")
        if not signature or not hmac.compare_digest(expected.encode("ascii"), given):
            raise InvalidSignature("msg_signature mismatch")

    def decrypt(self, encrypted: str) -> str:
        """Decrypt a checked ``echostr`` or ``Encrypt`` value.

        Raises:
            DecryptionFailed: Not decryptable, or sealed for another corp id.
        """
        try:
            return str(PrpCrypto(self._key).decrypt(encrypted, self._corp_id))
        except Exception as error:  # wechatpy raises bare and varied errors
            raise DecryptionFailed(f"cannot decrypt: {type(error).__name__}") from error

    def open(
        self,
        signature: str,
        timestamp: str,
        nonce: str,
        encrypted: str,
        now: float | None = None,
    ) -> str:
        """Check, then decrypt (:meth:`check` and :meth:`decrypt`)."""
        self.check(signature, timestamp, nonce, encrypted, now)
        return self.decrypt(encrypted)
