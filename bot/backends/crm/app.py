"""Application factory of the CRM service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from bot.backends.common import db
from bot.backends.common.http import base_app
from bot.backends.common.serve import ENGINE, SETTINGS, engine_context
from bot.backends.common.settings import BackendSettings
from bot.backends.common.timeutil import Clock, china_date, utc_now
from bot.backends.crm.order_gateway import HttpOrderVerifier
from bot.backends.crm.routes import setup_routes
from bot.backends.crm.service import CrmService, OrderVerifier
from bot.backends.crm.views import CRM_SERVICE
from bot.platform.logs import install_log_masking

logger = logging.getLogger(__name__)


def create_app(
    settings: BackendSettings | None = None,
    *,
    clock: Clock = utc_now,
    verifier: OrderVerifier | None = None,
) -> web.Application:
    """Create the CRM service application.

    Args:
        settings: Settings; read from the environment when omitted.
        clock: Source of the current time (fixed in tests).
        verifier: Order check for identity binding; by default the order service
            at ``settings.orders_url`` is asked over HTTP.

    Returns:
        The application; its database and HTTP session open on startup.
    """
    install_log_masking()  # PIPL: no personal data in this process's logs
    settings = settings or BackendSettings.from_env("crm")
    app = base_app(settings.api_token)
    app[SETTINGS] = settings

    async def service_context(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            order_verifier = verifier or HttpOrderVerifier(
                http, settings.orders_url, settings.api_token, settings.upstream_timeout
            )
            service = CrmService(
                db.session_factory(app[ENGINE]), order_verifier, clock=clock
            )
            if settings.seed_when_empty and await service.is_empty():
                # Imported here: the seed data set is only needed on a fresh database.
                from bot.backends.seed.load import seed_crm

                await seed_crm(app[ENGINE], today=china_date(clock()))
                logger.info("empty CRM database filled with the demo data set")
            app[CRM_SERVICE] = service
            yield

    app.cleanup_ctx.extend([engine_context, service_context])
    setup_routes(app)
    return app
