"""The console's one error shape: ``{"error": {"code", "message"}}``.

Handlers and the access middleware raise :class:`ConsoleError`;
:func:`error_middleware` renders it. An unexpected exception on an API path
(``/api/``, ``/internal/``, ``/chat/api/``) becomes a 500 in the same shape,
without a traceback; pages keep aiohttp's own 500 page. aiohttp's HTTP
exceptions (redirects, 404s of unknown ids) pass through unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
API_PREFIXES = ("/api/", "/internal/", "/chat/api/")
INTERNAL_ERROR = "服务器内部错误，请稍后再试"


class ConsoleError(Exception):
    """A request the console answers with an error.

    Args:
        status: The HTTP status.
        code: A short machine-readable code (``invalid_body``, ``login``, ...).
        message: What went wrong, for the caller (Chinese when people read it).
    """

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> web.Response:
    """The JSON error answer with ``status``."""
    return web.json_response(
        {"error": {"code": code, "message": message}}, status=status
    )


async def read_json(request: web.Request, message: str = "body must be JSON") -> Any:
    """The request's JSON body.

    Raises:
        ConsoleError: 400 ``invalid_json`` with ``message`` when it is not JSON.
    """
    try:
        return await request.json()
    except ValueError:  # malformed JSON or text that is not UTF-8
        raise ConsoleError(400, "invalid_json", message) from None


def is_api_path(path: str) -> bool:
    """Whether ``path`` answers JSON (so a failure is answered in JSON too)."""
    return path.startswith(API_PREFIXES)


@web.middleware
async def error_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Render :class:`ConsoleError`; never a traceback on API paths.

    It sits inside the session middleware, so a session changed before the
    error (a new web-chat id) is still saved with the error answer.
    """
    try:
        return await handler(request)
    except ConsoleError as error:
        return error_response(error.status, error.code, error.message)
    except web.HTTPException:
        raise
    except Exception:
        # A live-update stream has already sent its headers: nothing to render.
        if not is_api_path(request.path) or request.path.endswith("/stream"):
            raise
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal_error", INTERNAL_ERROR)
