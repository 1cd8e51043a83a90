"""Application factory of the order service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from aiohttp import web

from bot.backends.common import db
from bot.backends.common.http import base_app
from bot.backends.common.serve import ENGINE, SETTINGS, engine_context
from bot.backends.common.settings import BackendSettings
from bot.backends.common.timeutil import Clock, china_date, utc_now
from bot.backends.orders.catalogue import CatalogueService
from bot.backends.orders.routes import setup_routes
from bot.backends.orders.service import OrderService
from bot.backends.orders.views import CATALOGUE_SERVICE, ORDER_SERVICE
from bot.platform.logs import install_log_masking

logger = logging.getLogger(__name__)


def create_app(
    settings: BackendSettings | None = None, *, clock: Clock = utc_now
) -> web.Application:
    """Create the order service application.

    Args:
        settings: Settings; read from the environment when omitted.
        clock: Source of the current time (fixed in tests).

    Returns:
        The application; its database opens on startup and closes on cleanup.
    """
    install_log_masking()  # PIPL: no personal data in this process's logs
    settings = settings or BackendSettings.from_env("orders")
    app = base_app(settings.api_token)
    app[SETTINGS] = settings

    async def service_context(app: web.Application) -> AsyncIterator[None]:
        sessions = db.session_factory(app[ENGINE])
        service = OrderService(sessions, clock=clock)
        catalogue = CatalogueService(sessions, clock=clock)
        if settings.seed_when_empty and await service.is_empty():
            # Imported here: the seed data set is only needed on a fresh database.
            from bot.backends.seed.load import seed_orders

            await seed_orders(app[ENGINE], today=china_date(clock()))
            logger.info("empty orders database filled with the demo data set")
        elif settings.seed_when_empty and await catalogue.is_empty():
            # A database seeded before the catalogue existed keeps its orders.
            from bot.backends.seed.load import seed_catalogue

            await seed_catalogue(app[ENGINE], today=china_date(clock()))
            logger.info("empty product catalogue filled with the demo listings")
        app[ORDER_SERVICE] = service
        app[CATALOGUE_SERVICE] = catalogue
        yield

    app.cleanup_ctx.extend([engine_context, service_context])
    setup_routes(app)
    return app
