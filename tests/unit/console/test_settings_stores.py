"""Where the console finds conversations: the tracker store and the analytics table."""

import pytest

from bot.console.config import ConfigurationError, ConsoleSettings
from bot.platform.events import tracker_store_url

BASE = {"CONSOLE_ENV": "development"}


def test_embedded_profile_reads_the_sqlite_conversation_store():
    settings = ConsoleSettings.from_env({**BASE, "RASA_TRACKER_DB": "var/tracker.db"})
    assert settings.tracker_db_url == "sqlite:///var/tracker.db"
    assert settings.analytics_db_url == "sqlite:///var/tracker.db"
    assert settings.analytics_table == "events"


def test_production_profile_reads_postgresql_and_the_consumer_table():
    environ = {
        **BASE,
        "RASA_TRACKER_DB": "var/tracker.db",  # ignored: PostgreSQL wins
        "RASA_DB_HOST": "db.internal",
        "RASA_DB_PORT": "5433",
        "RASA_DB_NAME": "rasa",
        "RASA_DB_USER": "xiaoke",
        "RASA_DB_PASSWORD": "p@ss/word",
        "ANALYTICS_DB_URL": "postgresql://xiaoke@db.internal/console",
        "ANALYTICS_EVENTS_TABLE": "analytics_events",
    }
    settings = ConsoleSettings.from_env(environ)
    assert settings.tracker_db_url == (
        "postgresql://xiaoke:p%40ss%2Fword@db.internal:5433/rasa"
    )
    assert settings.analytics_db_url == "postgresql://xiaoke@db.internal/console"
    assert settings.analytics_table == "analytics_events"


def test_in_memory_conversations_have_no_store():
    settings = ConsoleSettings.from_env(BASE)
    assert settings.tracker_db_url is None and settings.analytics_db_url is None


def test_an_unknown_analytics_table_is_refused():
    with pytest.raises(ConfigurationError, match="ANALYTICS_EVENTS_TABLE"):
        ConsoleSettings.from_env({**BASE, "ANALYTICS_EVENTS_TABLE": "users; drop"})


def test_retention_url_override_wins():
    environ = {"RETENTION_TRACKER_DB_URL": "sqlite:///x.db", "RASA_TRACKER_DB": "y.db"}
    assert tracker_store_url(environ) == "sqlite:///x.db"


def test_the_consumer_table_is_read_where_the_consumer_writes_it():
    environ = {
        **BASE,
        "CONSOLE_DATABASE_URL": "postgresql://xiaoke@db.internal/console",
        "ANALYTICS_EVENTS_TABLE": "analytics_events",
        "RASA_TRACKER_DB": "var/tracker.db",
    }
    settings = ConsoleSettings.from_env(environ)
    assert settings.analytics_db_url == "postgresql://xiaoke@db.internal/console"
