"""Build the agent console's aiohttp application."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import setup as setup_session
from aiohttp_session.cookie_storage import EncryptedCookieStorage
from cryptography import fernet

from actions.clients.crm import CrmClient
from actions.clients.http import ClientSettings, close_session
from actions.clients.orders import OrdersClient
from bot.console.assignment import Dispatcher, dispatching
from bot.console.auth import API_TOKEN_KEY, ROLE_OF, ROLES_OF, access_middleware
from bot.console.config import ConsoleSettings
from bot.console.errors import error_middleware
from bot.console.floor import FloorRepository
from bot.console.keys import (
    CHAT_ADDRESS_LIMIT,
    CHAT_SESSION_LIMIT,
    CRM,
    DISPATCHER,
    FLOOR,
    LOGIN_THROTTLE,
    MEDIA,
    NUDGES,
    ORDERS,
    REVIEW,
    REVIEW_SCORE,
    REVIEW_SETTINGS,
    SERVICE,
    SETTINGS,
    STOPPING,
    TIMERS,
    TRANSFERS,
    WORKBENCH,
)
from bot.console.migrate import migrate
from bot.console.nudges import Nudges
from bot.console.rasa import RasaClient
from bot.console.repository import ConsoleRepository
from bot.console.review import ReviewSettings
from bot.console.review_repository import ReviewRepository
from bot.console.routes import setup_routes
from bot.console.service import ConsoleService
from bot.console.throttle import LoginThrottle, RateLimiter
from bot.console.timers import Timers, refreshing
from bot.console.transfers import Transfers
from bot.console.workbench import WorkbenchRepository
from bot.platform.db import create_async_engine
from bot.platform.logs import install_log_masking
from bot.platform.media_store import media_store_from_env
from bot.wechat.client import WeChatApiClient
from bot.wechat.config import WeChatSettings
from bot.wecom.relay import AgentRelay

logger = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent / "templates"
SESSION_COOKIE = "xiaoke_console"
SESSION_MAX_AGE = 12 * 3600


async def resources(app: web.Application) -> AsyncIterator[None]:
    """Open the database, HTTP clients and WeChat client; close them at exit."""
    settings = app[SETTINGS]
    engine = create_async_engine(settings.database_url)
    await migrate(engine)  # Alembic; stamps a database made by create_all
    repository = ConsoleRepository(engine)
    app[REVIEW] = ReviewRepository(engine)
    app[ROLES_OF] = app[REVIEW].roles
    http = aiohttp.ClientSession()
    wechat_settings = WeChatSettings.from_env(settings.environ)
    wechat = None
    if wechat_settings is not None and wechat_settings.can_send:
        wechat = WeChatApiClient(
            wechat_settings.app_id,
            wechat_settings.app_secret,
            wechat_settings.api_base_url,
            timeout=wechat_settings.api_timeout,
        )
    backend_settings = ClientSettings.from_env(settings.environ)
    app[CRM] = CrmClient(backend_settings)
    app[ORDERS] = OrdersClient(backend_settings)
    floor = FloorRepository(engine)
    dispatcher = Dispatcher(settings, floor)
    app[FLOOR] = floor
    app[DISPATCHER] = dispatcher
    app[ROLE_OF] = floor.role
    workbench = WorkbenchRepository(engine)
    app[WORKBENCH] = workbench
    kf_relay = AgentRelay.from_env(settings.environ)  # 微信客服, console mode
    app[MEDIA] = media_store_from_env(settings.environ)
    service = ConsoleService(
        settings,
        repository,
        RasaClient(http, settings.rasa_url, settings.rasa_token),
        wechat,
        dispatcher,
        kf_relay,
    )
    app[SERVICE] = service
    app[TRANSFERS] = Transfers(service, floor, workbench, dispatcher)
    app[TIMERS] = timers = Timers(settings, service, floor)
    background = dispatching(dispatcher)
    await background.__anext__()
    sweeping = refreshing(timers)
    await sweeping.__anext__()
    try:
        yield
    finally:
        await sweeping.aclose()
        await background.aclose()
        if wechat is not None:
            await wechat.close()
        if kf_relay is not None:
            await kf_relay.close()
        await http.close()
        await close_session()
        await engine.dispose()


async def _stop_streams(app: web.Application) -> None:
    app[STOPPING].set()
    app[NUDGES].wake_all()


def create_app(settings: ConsoleSettings) -> web.Application:
    """Build the console (nothing is opened until the app starts).

    Args:
        settings: The console settings.

    Returns:
        The application.
    """
    install_log_masking()  # PIPL: no personal data in this process's logs
    app = web.Application(client_max_size=256 * 1024)
    app[SETTINGS] = settings
    app[API_TOKEN_KEY] = settings.api_token
    app[STOPPING] = asyncio.Event()
    app[NUDGES] = Nudges()
    app[LOGIN_THROTTLE] = LoginThrottle()
    app[REVIEW_SETTINGS] = ReviewSettings.from_env(settings.environ)
    app[REVIEW_SCORE] = []
    app[CHAT_SESSION_LIMIT] = RateLimiter(settings.chat_sends_per_minute)
    app[CHAT_ADDRESS_LIMIT] = RateLimiter(settings.chat_sends_per_minute_per_address)
    storage = EncryptedCookieStorage(
        fernet.Fernet(base64_key(settings.secret_key)),
        cookie_name=SESSION_COOKIE,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="Lax",
    )
    setup_session(app, storage)
    # Inside the session middleware: a session changed before an error is saved.
    app.middlewares.append(error_middleware)
    app.middlewares.append(access_middleware)
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(default=True),
    )
    app.cleanup_ctx.append(resources)
    app.on_shutdown.append(_stop_streams)  # type: ignore[arg-type]
    setup_routes(app)
    return app


def base64_key(key: bytes) -> bytes:
    """The Fernet form of a 32-byte key."""
    return base64.urlsafe_b64encode(key)
