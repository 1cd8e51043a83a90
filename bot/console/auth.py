"""Who may do what: login sessions, CSRF tokens and the internal API token.

All authorisation lives in :func:`access_middleware`; a later role model only
needs to change :func:`required_access`.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from enum import Enum

from aiohttp import web
from aiohttp_session import Session, get_session

from bot.console.errors import ConsoleError
from bot.console.models import SUPERVISOR, TRAINER

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
API_TOKEN_KEY = web.AppKey("api_token", str)
#: Looks up the permissions granted on top of the role (``trainer``).
RolesOf = Callable[[str], Awaitable[set[str]]]
ROLES_OF: web.AppKey[RolesOf] = web.AppKey("roles_of")
#: Looks up a user's role (``agent``/``supervisor``) in the staff table.
RoleLookup = Callable[[str], Awaitable["str | None"]]
ROLE_OF: web.AppKey[RoleLookup] = web.AppKey("role_of")


class Access(Enum):
    """What a path needs."""

    PUBLIC = "public"  # static files, the login page, the shopper web chat
    INTERNAL = "internal"  # the action server, with the bearer token
    STAFF = "staff"  # a logged-in agent
    TRAINER = "trainer"  # a trainer (the 待标注 page) or a supervisor
    SUPERVISOR = "supervisor"  # a logged-in supervisor


def required_access(path: str) -> Access:
    """What ``path`` needs (the one place deciding roles)."""
    if path.startswith("/internal/"):
        return Access.INTERNAL
    if path == "/review" or path.startswith("/review/"):
        return Access.TRAINER
    if path.startswith(("/supervisor", "/api/supervisor/")):
        return Access.SUPERVISOR
    if (
        path in ("/login", "/health", "/chat")
        or path.startswith("/static/")
        or path.startswith("/chat/")
    ):
        return Access.PUBLIC
    return Access.STAFF


def sees_personal_data(user: str | None, status: str, agent: str | None) -> bool:
    """Whether ``user`` may see a conversation's personal data unmasked.

    Only the agent handling it (PIPL: no more than the task needs); list views
    and everyone else get the masked form (``bot.platform.masking``).
    """
    return user is not None and status == "claimed" and agent == user


def csrf_token(session: Session) -> str:
    """The session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def current_user(request: web.Request) -> str:
    """The logged-in agent (set by :func:`access_middleware`)."""
    user = request.get("user")
    if not isinstance(user, str):
        raise web.HTTPUnauthorized()
    return user


def _wants_json(request: web.Request) -> bool:
    return request.path.startswith(
        "/api/"
    ) or "application/json" in request.headers.get("Accept", "")


async def _check_csrf(request: web.Request, session: Session) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        sent = str((await request.post()).get(CSRF_FIELD) or "")
    expected = session.get("csrf")
    if (
        not sent
        or not isinstance(expected, str)
        or not hmac.compare_digest(sent, expected)
    ):
        raise ConsoleError(403, "csrf", "CSRF token missing or wrong")


@web.middleware
async def access_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Let a request through only with what its path needs.

    Staff paths need a logged-in session (pages redirect to ``/login``, APIs
    answer 401); every non-GET with a session (login included) needs the
    session's CSRF token; ``/internal/*`` needs ``Authorization: Bearer``;
    ``/review`` needs the ``trainer`` grant or the supervisor role, ``/supervisor``
    the supervisor role (403 otherwise).
    Refusals are :class:`ConsoleError` (JSON, by ``errors.error_middleware``).
    """
    access = required_access(request.path)
    if access is Access.INTERNAL:
        expected = f"Bearer {request.app[API_TOKEN_KEY]}"
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise ConsoleError(401, "unauthorized", "bad token")
        return await handler(request)
    if access is Access.PUBLIC and request.path != "/login":
        return await handler(request)
    session = await get_session(request)
    if request.method not in SAFE_METHODS:
        await _check_csrf(request, session)
    if access in (Access.STAFF, Access.TRAINER, Access.SUPERVISOR):
        user = session.get("user")
        if not isinstance(user, str):
            if _wants_json(request):
                raise ConsoleError(401, "login", "login required")
            raise web.HTTPSeeOther("/login")
        request["user"] = user
        # Read per request: a role taken away counts at once.
        request["role"] = await request.app[ROLE_OF](user)
        if access is Access.SUPERVISOR and request["role"] != SUPERVISOR:
            raise ConsoleError(403, "forbidden", "只有主管可以使用这个页面")
        if (
            access is Access.TRAINER
            and request["role"] != SUPERVISOR
            and TRAINER not in await request.app[ROLES_OF](user)
        ):
            raise ConsoleError(403, "role", "这个页面只对标注员（trainer）和主管开放")
    return await handler(request)
