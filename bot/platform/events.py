"""The Rasa events table: its layout, and where the analytics copy of it lives.

Rasa's SQL tracker store keeps every conversation event in ``events``; the
production profile's broker consumer (``bot.analytics.consumer``) copies them
into ``analytics_events`` with the same layout. Analytics reads either table,
deletion requests and the retention command empty them, the conversation id
upgrade renames in them.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

import sqlalchemy as sa

#: Rasa SQLTrackerStore's table.
TRACKER_EVENTS = "events"
#: The table the production broker consumer fills (``bot.analytics.consumer``).
ANALYTICS_EVENTS = "analytics_events"


def events_table(name: str = TRACKER_EVENTS) -> sa.Table:
    """Rasa SQLTrackerStore's events table layout under ``name``.

    Columns ``id, sender_id, type_name, timestamp, intent_name, action_name,
    data`` as ``rasa.core.tracker_store.SQLTrackerStore.SQLEvent`` declares
    them; the production consumer writes the same layout to
    ``analytics_events``. A fresh ``MetaData`` each call, so tables of
    different names never share one.
    """
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sender_id", sa.String(255), nullable=False, index=True),
        sa.Column("type_name", sa.String(255), nullable=False),
        sa.Column("timestamp", sa.Float, index=True),
        sa.Column("intent_name", sa.String(255)),
        sa.Column("action_name", sa.String(255)),
        sa.Column("data", sa.Text),
    )


def analytics_events_url(environ: Mapping[str, str]) -> str | None:
    """Where the consumer keeps ``analytics_events`` (production profile).

    ``ANALYTICS_DB_URL``, else ``CONSOLE_DATABASE_URL``: the consumer writes
    there, and the console, deletion requests and the retention command must
    look in the same place.
    """
    url = environ.get("ANALYTICS_DB_URL") or environ.get("CONSOLE_DATABASE_URL")
    return url or None


def tracker_store_url(environ: Mapping[str, str]) -> str | None:
    """The SQL tracker store's (synchronous SQLAlchemy) URL, or ``None``.

    ``RETENTION_TRACKER_DB_URL`` if set; else the production profile's
    PostgreSQL (``RASA_DB_*``); else the embedded profile's SQLite file
    (``RASA_TRACKER_DB``, see endpoints.yml); else ``None`` (in memory).
    """
    if environ.get("RETENTION_TRACKER_DB_URL"):
        return environ["RETENTION_TRACKER_DB_URL"]
    if not environ.get("RASA_DB_HOST"):
        sqlite_file = environ.get("RASA_TRACKER_DB")
        return f"sqlite:///{sqlite_file}" if sqlite_file else None
    user = quote(environ.get("RASA_DB_USER", "postgres"), safe="")
    password = environ.get("RASA_DB_PASSWORD")
    auth = f"{user}:{quote(password, safe='')}" if password else user
    return (
        f"postgresql://{auth}@{environ['RASA_DB_HOST']}:"
        f"{environ.get('RASA_DB_PORT', '5432')}/{environ.get('RASA_DB_NAME', 'rasa')}"
    )
