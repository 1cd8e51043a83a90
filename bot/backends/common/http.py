"""HTTP glue shared by both services: error and auth middleware, JSON helpers."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from bot.backends.common.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    RuleViolation,
    ServiceError,
    UpstreamUnavailable,
)

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Paths reachable without a token: liveness only, it reveals nothing.
PUBLIC_PATHS = frozenset({"/health"})

_STATUS_BY_ERROR: tuple[tuple[type[ServiceError], int], ...] = (
    (InvalidInput, 400),
    (NotFound, 404),
    (Conflict, 409),
    (RuleViolation, 422),
    (UpstreamUnavailable, 503),
)

_CODE_BY_STATUS = {
    400: "invalid_input",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """Build a JSON response that keeps Chinese text readable (no ASCII escapes)."""
    return web.json_response(body, status=status, headers=headers, dumps=_dumps)


def error_response(
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
    details: Mapping[str, Any] | None = None,
) -> web.Response:
    """Build the one error shape every endpoint uses (``details`` only when given)."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = dict(details)
    return json_response({"error": error}, status=status, headers=headers)


def method_not_allowed(method: str, allowed: Iterable[str]) -> web.Response:
    """Answer a method the path does not have: 405 with ``Allow`` (RFC 9110).

    The router raises this for every undeclared method on a known path (TRACE,
    PUT, DELETE, OPTIONS, ...); ``HEAD`` comes with every ``GET``.

    Args:
        method: The method the request used.
        allowed: The methods the path answers.

    Returns:
        The error in the shared shape, listing the allowed methods.
    """
    allow = ", ".join(sorted(allowed))
    return error_response(
        405,
        "method_not_allowed",
        f"method {method} is not allowed here; allowed: {allow}",
        headers={"Allow": allow},
    )


def status_for(error: ServiceError) -> int:
    """Return the HTTP status a domain error is reported with."""
    for error_type, status in _STATUS_BY_ERROR:
        if isinstance(error, error_type):
            return status
    return 500


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Turn every failure into ``{"error": {"code", "message"}}``; never a traceback."""
    try:
        return await handler(request)
    except ServiceError as error:
        return error_response(
            status_for(error), error.code, error.message, details=error.details
        )
    except web.HTTPMethodNotAllowed as error:
        return method_not_allowed(error.method, error.allowed_methods)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        code = _CODE_BY_STATUS.get(error.status, "http_error")
        return error_response(error.status, code, error.reason)
    except Exception:
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal_error", "internal server error")


def auth_middleware(token: str) -> Callable[[web.Request, Handler], Awaitable[Any]]:
    """Build a middleware that requires ``Authorization: Bearer <token>``.

    Args:
        token: The shared service-to-service token.

    Returns:
        The middleware; it compares tokens in constant time.
    """
    expected = token.encode()

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in PUBLIC_PATHS:
            return await handler(request)
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), expected
        ):
            return error_response(
                401,
                "unauthorized",
                "missing or wrong bearer token",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return await handler(request)

    return middleware


async def read_json(request: web.Request) -> Any:
    """Read a JSON request body, reporting malformed JSON as invalid input."""
    if not request.can_read_body:
        raise InvalidInput("request body is required (JSON)")
    try:
        return await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("request body is not valid JSON") from None


async def health(_request: web.Request) -> web.Response:
    """Liveness probe."""
    return json_response({"status": "ok"})


def base_app(token: str) -> web.Application:
    """Create an application with the shared middleware and health route."""
    app = web.Application(
        middlewares=[error_middleware, auth_middleware(token)],
        client_max_size=64 * 1024,
    )
    app.router.add_get("/health", health)
    return app
