"""Serve the agent console: ``python -m bot.console``."""

from __future__ import annotations

import logging
import sys

from aiohttp import web

from bot.console.app import create_app
from bot.console.config import ConfigurationError, ConsoleSettings
from bot.platform.process_exit import exit_deadline
from bot.platform.settings import SettingError


def main() -> int:
    """Read the settings, then serve until interrupted."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    try:
        settings = ConsoleSettings.from_env()
        app = create_app(settings)
    except (ConfigurationError, SettingError) as error:
        print(f"console: {error}", file=sys.stderr)
        return 2
    logging.getLogger(__name__).info(
        "agent console on http://%s:%d (shopper web chat: /chat)",
        settings.host,
        settings.port,
    )
    # Only in the service process: the deadline ends the process it runs in.
    app.on_shutdown.append(exit_deadline)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        shutdown_timeout=5,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
