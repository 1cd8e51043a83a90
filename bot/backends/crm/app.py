"""Application factory of the CRM service."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import date

import aiohttp
from aiohttp import web

from bot.backends.common import db
from bot.backends.common.http import base_app
from bot.backends.common.serve import ENGINE, SETTINGS, engine_context
from bot.backends.common.settings import BackendSettings
from bot.backends.common.timeutil import Clock, china_date, utc_now
from bot.backends.crm.membership import MembershipService
from bot.backends.crm.order_gateway import HttpOrderGateway
from bot.backends.crm.routes import setup_routes
from bot.backends.crm.service import CrmService, OrderGateway
from bot.backends.crm.views import CRM_SERVICE, MEMBERSHIP_SERVICE
from bot.platform.logs import install_log_masking

logger = logging.getLogger(__name__)


def create_app(
    settings: BackendSettings | None = None,
    *,
    clock: Clock = utc_now,
    order_gateway: OrderGateway | None = None,
) -> web.Application:
    """Create the CRM service application.

    Args:
        settings: Settings; read from the environment when omitted.
        clock: Source of the current time (fixed in tests).
        order_gateway: The order system, asked when binding an identity and
            about orders without points yet; by default the order service at
            ``settings.orders_url`` over HTTP.

    Returns:
        The application; its database and HTTP session open on startup.
    """
    install_log_masking()  # PIPL: no personal data in this process's logs
    settings = settings or BackendSettings.from_env("crm")
    app = base_app(settings.api_token)
    app[SETTINGS] = settings

    async def service_context(app: web.Application) -> AsyncIterator[None]:
        async with aiohttp.ClientSession() as http:
            orders = order_gateway or HttpOrderGateway(
                http, settings.orders_url, settings.api_token, settings.upstream_timeout
            )
            sessions = db.session_factory(app[ENGINE])
            service = CrmService(sessions, orders, clock=clock)
            membership = MembershipService(sessions, orders, clock=clock)
            if settings.seed_when_empty:
                await _seed_if_empty(app, service, membership, china_date(clock()))
            app[CRM_SERVICE] = service
            app[MEMBERSHIP_SERVICE] = membership
            yield

    app.cleanup_ctx.extend([engine_context, service_context])
    setup_routes(app)
    return app


async def _seed_if_empty(
    app: web.Application,
    service: CrmService,
    membership: MembershipService,
    today: date,
) -> None:
    # Imported here: the seed data set is only needed on a fresh database.
    from bot.backends.seed.load import seed_crm, seed_membership

    if await service.is_empty():
        await seed_crm(app[ENGINE], today=today)
        logger.info("empty CRM database filled with the demo data set")
    elif await membership.lacks_catalogue():
        await seed_membership(app[ENGINE], today=today)
        logger.info("CRM database given the demo tier benefits and rewards")
