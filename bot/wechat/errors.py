"""Errors of the WeChat channel, each carrying the context needed to act on it."""

from __future__ import annotations


class WeChatError(Exception):
    """Base class of every error raised by the WeChat channel."""


class RequestRejected(WeChatError):
    """A callback request the server refuses before any processing.

    Attributes:
        status: HTTP status to answer with.
        reason: Short English reason for the logs (never shown to a shopper).
    """

    status = 403

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidSignature(RequestRejected):
    """``signature`` or ``msg_signature`` does not match."""


class StaleTimestamp(RequestRejected):
    """The request's timestamp is missing or outside the accepted window."""


class BodyTooLarge(RequestRejected):
    """The request body is larger than the configured limit."""

    status = 413


class MalformedMessage(RequestRejected):
    """The body is not a well-formed WeChat XML message."""

    status = 400


class UnsafeXml(MalformedMessage):
    """The XML carries a DTD, entity declarations or external references."""


class DecryptionFailed(RequestRejected):
    """The ``Encrypt`` element could not be decrypted or names another AppID."""

    status = 400


class ConfigurationError(WeChatError):
    """The channel's settings are inconsistent (checked once at startup)."""


class WeChatApiError(WeChatError):
    """The platform API answered with a non-zero ``errcode``.

    Attributes:
        errcode: The platform's error code.
        errmsg: The platform's error message.
    """

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeChat API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class AccessTokenError(WeChatApiError):
    """The token endpoint refused to issue an access token."""


class CustomerServiceWindowClosed(WeChatApiError):
    """45015: the shopper has not written in the last 48 hours."""


class CustomerServiceQuotaExceeded(WeChatApiError):
    """45047: too many customer-service messages without a shopper reply."""


class WeChatTransportError(WeChatError):
    """The platform API could not be reached or answered with garbage."""
