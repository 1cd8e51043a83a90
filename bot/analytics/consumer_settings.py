"""The analytics consumer's settings, read from the environment once at startup.

- ``RABBITMQ_URL`` (``amqp://127.0.0.1:5672``), ``RABBITMQ_USERNAME`` and
  ``RABBITMQ_PASSWORD`` (``guest``), ``RABBITMQ_QUEUE`` (``xiaoke_events``):
  the same variables Rasa's ``endpoints.production.yml`` reads.
- ``ANALYTICS_DB_URL``: where ``analytics_events`` lives (created if
  missing); ``postgresql://…`` or ``sqlite:///…`` (async forms such as
  ``postgresql+asyncpg://`` are accepted and read synchronously). Defaults to
  ``CONSOLE_DATABASE_URL``, the database the console reads analytics from.
- ``ANALYTICS_BATCH_SIZE`` (200) and ``ANALYTICS_BATCH_DELAY_MS`` (100): a
  batch is stored when it holds that many messages or that long after its
  first message arrived, whichever comes first. RabbitMQ may send twice the
  batch size ahead (the prefetch), so the next batch arrives while one is
  being written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from yarl import URL

from bot.platform.events import ANALYTICS_EVENTS, analytics_events_url
from bot.platform.settings import SettingError, positive_int

DEFAULT_AMQP_URL = "amqp://127.0.0.1:5672"
DEFAULT_QUEUE = "xiaoke_events"
DEFAULT_BATCH_SIZE = 200
DEFAULT_BATCH_DELAY = 0.1  # seconds


class SettingsError(RuntimeError):
    """The environment does not say where to store the events."""


@dataclass(frozen=True)
class ConsumerSettings:
    """Where to read events from, where to store them, and in what batches."""

    amqp_url: str
    queue: str
    db_url: str
    table: str = ANALYTICS_EVENTS
    batch_size: int = DEFAULT_BATCH_SIZE
    batch_delay: float = DEFAULT_BATCH_DELAY

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> ConsumerSettings:
        """Read the settings the module docstring lists.

        Raises:
            SettingsError: No database, or a batch setting that is not a
                positive whole number.
        """
        db_url = analytics_events_url(environ)
        if not db_url:
            raise SettingsError("set ANALYTICS_DB_URL (or CONSOLE_DATABASE_URL)")
        delay_ms = _positive_int(
            environ, "ANALYTICS_BATCH_DELAY_MS", round(DEFAULT_BATCH_DELAY * 1000)
        )
        return cls(
            amqp_url=amqp_url(
                environ.get("RABBITMQ_URL") or DEFAULT_AMQP_URL,
                environ.get("RABBITMQ_USERNAME", "guest"),
                environ.get("RABBITMQ_PASSWORD", "guest"),
            ),
            queue=environ.get("RABBITMQ_QUEUE") or DEFAULT_QUEUE,
            db_url=db_url,
            batch_size=_positive_int(
                environ, "ANALYTICS_BATCH_SIZE", DEFAULT_BATCH_SIZE
            ),
            batch_delay=delay_ms / 1000,
        )


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    try:
        return positive_int(environ, name, default)
    except SettingError as error:
        raise SettingsError(str(error)) from error


def amqp_url(url: str, username: str | None, password: str | None) -> str:
    """``url`` with the user and password added unless it carries its own.

    Rasa's broker takes them separately (``RABBITMQ_USERNAME``/``PASSWORD``)
    and so does this consumer; a path in ``url`` is the virtual host.
    """
    parsed = URL(url)
    if parsed.user or not username:
        return url
    return str(parsed.with_user(username).with_password(password or None))
