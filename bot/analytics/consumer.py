"""Copy the event broker's queue into the ``analytics_events`` table.

``python -m bot.analytics.consumer`` runs beside the Rasa servers of the
production profile (the Procfile's ``analytics``). Each event Rasa's
``PikaEventBroker`` publishes becomes one row of ``analytics_events`` with the
layout of Rasa's SQL tracker store, so :func:`bot.analytics.source.read_report`
reads either table. The consumer's parts, one job each:

- :mod:`bot.analytics.consumer_settings`: the environment variables it reads;
- :mod:`bot.analytics.parsing`: a queue message into a table row;
- :mod:`bot.analytics.batch`: a batch stored in one transaction, then
  acknowledged (at-least-once delivery);
- :mod:`bot.analytics.amqp`: the RabbitMQ loop, :func:`~bot.analytics.amqp.consume`.

SIGTERM or SIGINT stops it after the batch in hand.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping, Sequence

from bot.analytics.amqp import consume
from bot.analytics.batch import ConsumeStats
from bot.analytics.consumer_settings import ConsumerSettings, SettingsError
from bot.platform.logs import install_log_masking

logger = logging.getLogger(__name__)


async def _run(settings: ConsumerSettings) -> ConsumeStats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    return await consume(
        settings.amqp_url,
        settings.queue,
        settings.db_url,
        table=settings.table,
        stop=stop,
        batch_size=settings.batch_size,
        batch_delay=settings.batch_delay,
    )


def main(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> int:
    """Command line: no options; settings from the environment."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.analytics.consumer",
        description=(__doc__ or "").splitlines()[0],
    )
    parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")
    install_log_masking()
    try:
        settings = ConsumerSettings.from_environ(
            os.environ if environ is None else environ
        )
    except SettingsError as error:
        logger.error("%s", error)
        return 2
    asyncio.run(_run(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
