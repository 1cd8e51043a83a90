"""Logging agents in and out."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session, new_session

from bot.console.auth import csrf_token
from bot.console.keys import DISPATCHER, LOGIN_THROTTLE, SERVICE
from bot.console.pages import render_page


async def login_page(request: web.Request) -> web.Response:
    """The login form."""
    return await render_page(request, "login.html", error=None)


async def login(request: web.Request) -> web.StreamResponse:
    """Check the password; start a fresh session (new CSRF token) on success."""
    form = await request.post()
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    throttle = request.app[LOGIN_THROTTLE]
    keys = [f"user:{username.lower()}", f"ip:{request.remote or ''}"]
    wait = throttle.retry_after(keys)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        response = await render_page(
            request,
            "login.html",
            error=f"登录失败次数过多，请{minutes}分钟后再试",
        )
        response.set_status(429)
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response
    if not await request.app[SERVICE].authenticate(username, password):
        throttle.failed(keys)
        response = await render_page(request, "login.html", error="用户名或密码不正确")
        response.set_status(401)
        return response
    throttle.succeeded(keys)
    session = await new_session(request)
    session["user"] = username
    csrf_token(session)
    await request.app[DISPATCHER].set_status(username, "online")  # 上线
    raise web.HTTPSeeOther("/queue")


async def logout(request: web.Request) -> web.StreamResponse:
    """End the session."""
    session = await get_session(request)
    user = session.get("user")
    if isinstance(user, str):
        await request.app[DISPATCHER].set_status(user, "away")
    session.invalidate()
    raise web.HTTPSeeOther("/login")
