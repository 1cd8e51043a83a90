"""Domain errors raised by the backend services; the middleware maps them to HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ServiceError(Exception):
    """Base class of errors that are reported to the caller as `{"error": ...}`.

    Attributes:
        code: Stable snake_case code the actions map to a Chinese response.
        message: Human-readable explanation for developers (English).
        details: Facts a caller may need to explain the error (e.g. the balance
            and the points needed), rendered as ``error.details``; empty for most.
    """

    code: str = "service_error"

    def __init__(
        self,
        message: str,
        code: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        if code is not None:
            self.code = code


class InvalidInput(ServiceError):
    """The request is malformed: a missing field, a wrong type, a bad format."""

    code = "invalid_input"


class NotFound(ServiceError):
    """The resource named by the request does not exist (or is not the caller's)."""

    code = "not_found"


class RuleViolation(ServiceError):
    """The request is well formed but a business rule refuses it."""

    code = "rule_violation"


class Conflict(ServiceError):
    """The request conflicts with the current state (e.g. already registered)."""

    code = "conflict"


class UpstreamUnavailable(ServiceError):
    """A service this one depends on did not answer in time or failed."""

    code = "upstream_unavailable"
