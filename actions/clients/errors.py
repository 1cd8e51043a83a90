"""Typed errors the backend clients raise; actions map them to Chinese replies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class BackendError(Exception):
    """Base class of every client error.

    Attributes:
        service: ``"orders"``, ``"catalogue"`` (on the order service) or ``"crm"``.
        message: What went wrong (English, for logs; never shown to shoppers).
    """

    def __init__(self, service: str, message: str) -> None:
        super().__init__(f"{service}: {message}")
        self.service = service
        self.message = message


class NotFound(BackendError):
    """The service does not know the id (order, return, serial, identity...).

    Attributes:
        code: The service's code, e.g. ``order_not_found``, ``identity_not_bound``.
    """

    def __init__(self, service: str, code: str, message: str) -> None:
        super().__init__(service, message)
        self.code = code


class Rejected(BackendError):
    """The service refused the request (bad input, a business rule, a conflict).

    Attributes:
        code: The service's code, e.g. ``return_window_expired``,
            ``serial_already_registered``, ``verification_failed``.
        status: The HTTP status (400, 409 or 422).
        details: The service's ``error.details`` (e.g. ``balance`` and ``needed``
            for ``insufficient_points``); empty when it sent none.
    """

    def __init__(
        self,
        service: str,
        code: str,
        message: str,
        status: int,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(service, message)
        self.code = code
        self.status = status
        self.details: dict[str, Any] = dict(details or {})


class BackendUnavailable(BackendError):
    """The service did not answer usefully: down, slow, 5xx or a broken reply.

    Attributes:
        status: The HTTP status when there was one.
    """

    def __init__(self, service: str, message: str, status: int | None = None) -> None:
        super().__init__(service, message)
        self.status = status


class BackendUnauthorized(BackendUnavailable):
    """The service refused our token: a deployment problem, never retried."""
