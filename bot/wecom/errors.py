"""Errors of the WeCom kf channel, each carrying the context needed to act on it."""

from __future__ import annotations


class WeComError(Exception):
    """Base class of every error raised by the WeCom kf channel."""


class ConfigurationError(WeComError):
    """The channel's settings are inconsistent (checked once at startup)."""


class RequestRejected(WeComError):
    """A callback refused before any processing.

    Attributes:
        status: HTTP status to answer with.
        reason: Short English reason for the logs (never shown to a shopper).
    """

    status = 403

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidSignature(RequestRejected):
    """``msg_signature`` does not match, or the timestamp is stale."""


class MalformedCallback(RequestRejected):
    """The body is not a well-formed, safe callback XML, or too large."""

    status = 400


class DecryptionFailed(RequestRejected):
    """``Encrypt`` could not be decrypted or names another corp id."""

    status = 400


class WeComApiError(WeComError):
    """The kf API answered with a non-zero ``errcode``.

    Attributes:
        errcode: The platform's error code.
        errmsg: The platform's error message.
    """

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"WeCom API error {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


class AccessTokenError(WeComApiError):
    """``gettoken`` refused (wrong corp id or kf secret, IP not allowed …)."""


class SendRefused(WeComApiError):
    """``kf/send_msg`` or ``send_msg_on_event`` refused a message."""


class SessionStateRefused(SendRefused):
    """95018: the session's state does not allow API messages (人工接待, 已结束 …)."""


class SendQuotaExceeded(SendRefused):
    """95001: the 5 messages allowed within 48 h of the shopper's message are spent."""


class SendWindowClosed(SendRefused):
    """95002: the shopper's last message is more than 48 hours old."""


class WeComTransportError(WeComError):
    """The kf API could not be reached or answered with garbage."""
