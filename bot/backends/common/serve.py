"""Startup shared by both services: engine lifecycle and the ``python -m`` runner."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.backends.common import db
from bot.backends.common.settings import (
    BackendSettings,
    ConfigurationError,
    ServiceName,
)
from bot.platform.process_exit import exit_deadline

logger = logging.getLogger(__name__)

ENGINE = web.AppKey("engine", AsyncEngine)
SETTINGS = web.AppKey("settings", BackendSettings)


async def engine_context(app: web.Application) -> AsyncIterator[None]:
    """Open the database engine, migrate it when configured, dispose of it at exit."""
    settings = app[SETTINGS]
    engine = db.create_engine(settings.database_url)
    try:
        if settings.migrate:
            await db.upgrade(engine, settings.service)
            logger.info("%s database migrated to head", settings.service)
        app[ENGINE] = engine
        yield
    finally:
        await engine.dispose()


def run(
    service: ServiceName, create_app: Callable[[BackendSettings], web.Application]
) -> None:
    """Run one service from the environment until interrupted.

    Args:
        service: Which service to run.
        create_app: Its application factory.
    """
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = BackendSettings.from_env(service)
    except ConfigurationError as error:
        sys.exit(f"{service} service: {error}")
    app = create_app(settings)
    app.on_shutdown.append(exit_deadline)  # a SIGTERM ends the process in time
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=lambda message: logger.info("%s", message),
        shutdown_timeout=5,  # requests take milliseconds; then the deadline
    )
