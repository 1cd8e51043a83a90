"""Settings of the agent console, read once from the environment at startup."""

from __future__ import annotations

import base64
import binascii
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone

from bot.platform.events import analytics_events_url, tracker_store_url

CHINA = timezone(timedelta(hours=8))
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/console.db"
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class ConfigurationError(Exception):
    """A console setting is missing or invalid (the console refuses to start)."""


@dataclass(frozen=True)
class ServiceHours:
    """When agents work, China time (``CONSOLE_SERVICE_HOURS``, e.g. ``09:00-22:00``).

    Attributes:
        start: First minute of service.
        end: End of service (exclusive); before ``start`` means past midnight.
    """

    start: time = time(9, 0)
    end: time = time(22, 0)

    @classmethod
    def parse(cls, text: str) -> ServiceHours:
        """Parse ``HH:MM-HH:MM``; ``00:00-24:00`` means always open.

        Raises:
            ConfigurationError: Not in that format.
        """
        match = _HOURS.match(text.strip())
        if not match:
            raise ConfigurationError(
                f"CONSOLE_SERVICE_HOURS must look like 09:00-22:00, got {text!r}"
            )
        h1, m1, h2, m2 = (int(group) for group in match.groups())
        if h2 == 24 and m2 == 0:
            h2, m2 = 23, 59
        try:
            return cls(time(h1, m1), time(h2, m2))
        except ValueError as error:
            raise ConfigurationError(f"CONSOLE_SERVICE_HOURS: {error}") from error

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def is_open(self, now: datetime) -> bool:
        """Tell whether agents are at work at ``now`` (any timezone)."""
        local = now.astimezone(CHINA).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def opens_at(self, now: datetime) -> str:
        """When agents are back, in Chinese (``今天09:00`` or ``明天09:00``)."""
        local = now.astimezone(CHINA)
        day = "今天" if local.time() < self.start else "明天"
        return f"{day}{self.start:%H:%M}"


def _secret_key(raw: str, development: bool) -> bytes:
    if not raw:
        if development:
            # A fresh key per start: sessions end when the console restarts.
            return os.urandom(32)
        raise ConfigurationError(
            "CONSOLE_SECRET_KEY is not set (32 bytes, urlsafe base64: "
            'python -c "import os,base64;print(base64.urlsafe_b64encode('
            'os.urandom(32)).decode())")'
        )
    try:
        key = base64.urlsafe_b64decode(raw.encode("ascii"))
    except (binascii.Error, ValueError) as error:
        raise ConfigurationError("CONSOLE_SECRET_KEY is not urlsafe base64") from error
    if len(key) != 32:
        raise ConfigurationError(
            f"CONSOLE_SECRET_KEY must decode to 32 bytes, got {len(key)}"
        )
    return key


def _positive(env: Mapping[str, str], name: str, default: int) -> int:
    value = int(env.get(name) or default)
    if value < 1:
        raise ConfigurationError(f"{name} must be at least 1, got {value}")
    return value


@dataclass(frozen=True)
class ConsoleSettings:
    """Everything the console needs, validated once.

    Attributes:
        secret_key: ``CONSOLE_SECRET_KEY`` decoded (32 bytes, session cookies).
        api_token: ``CONSOLE_API_TOKEN``, bearer of ``/internal/*`` (the actions).
        host: ``CONSOLE_HOST`` (default ``127.0.0.1``).
        port: ``CONSOLE_PORT`` (default 8080).
        database_url: ``CONSOLE_DATABASE_URL`` (SQLite file by default).
        rasa_url: ``RASA_URL``, the Rasa server.
        rasa_token: ``RASA_TOKEN``, its HTTP API token.
        development: ``CONSOLE_ENV=development``: http cookies, ephemeral key.
        service_hours: ``CONSOLE_SERVICE_HOURS``.
        minutes_per_conversation: ``CONSOLE_MINUTES_PER_CONVERSATION``, for the
            wait estimate.
        poll_interval: ``CONSOLE_POLL_INTERVAL``, seconds between live updates.
        tracker_db_url: Rasa's SQL tracker store (synchronous SQLAlchemy URL;
            ``None`` when Rasa keeps conversations in memory), for shoppers'
            deletion requests: ``bot.platform.events.tracker_store_url``.
        analytics_db_url: Where the analytics read conversation events:
            ``ANALYTICS_DB_URL``, by default the tracker store; for
            ``analytics_events`` where the consumer writes it
            (``bot.platform.events.analytics_events_url``).
        analytics_table: The events table there: ``ANALYTICS_EVENTS_TABLE``,
            ``events`` (Rasa's tracker store, embedded profile) or
            ``analytics_events`` (filled from the event broker, production).
        chat_sends_per_minute: ``CHAT_SENDS_PER_MINUTE`` (default 20), web chat
            messages one shopper session may send per minute.
        chat_sends_per_minute_per_address: ``CHAT_SENDS_PER_MINUTE_PER_ADDRESS``
            (default 300): the same per client address, so dropping the cookie
            does not lift the limit (high: shoppers behind one NAT share it).
        max_chats: ``CONSOLE_MAX_CHATS`` (default 5): open conversations an
            agent gets by auto-assignment at most (manual claims may exceed it).
        heartbeat_timeout: ``CONSOLE_HEARTBEAT_TIMEOUT`` (default 60 s): an
            agent whose pages sent no heartbeat for this long (tab closed) is
            离开 and gets nothing assigned.
        away_after: ``CONSOLE_AWAY_AFTER`` (default 600 s): an agent idle (no
            key or click on a console page) this long goes 离开.
        assign_interval: ``CONSOLE_ASSIGN_INTERVAL`` (default 5 s): how often
            each console process marks idle agents away and assigns what waits.
        sla_first: ``CONSOLE_SLA_FIRST`` (default 60 s of service hours): the
            first agent reply is due this long after the handoff.
        sla_next: ``CONSOLE_SLA_NEXT`` (default 120 s of service hours): an
            answer is due this long after the shopper writes again.
        environ: The environment the settings came from (WeChat, backends).
    """

    secret_key: bytes
    api_token: str
    host: str = "127.0.0.1"
    port: int = 8080
    database_url: str = DEFAULT_DATABASE_URL
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str = ""
    development: bool = False
    service_hours: ServiceHours = field(default_factory=ServiceHours)
    minutes_per_conversation: int = 5
    poll_interval: float = 1.0
    tracker_db_url: str | None = None
    analytics_db_url: str | None = None
    analytics_table: str = "events"
    chat_sends_per_minute: int = 20
    chat_sends_per_minute_per_address: int = 300
    max_chats: int = 5
    heartbeat_timeout: float = 60.0
    away_after: float = 600.0
    assign_interval: float = 5.0
    sla_first: float = 60.0
    sla_next: float = 120.0
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def cookie_secure(self) -> bool:
        """Session cookies only over HTTPS, except in development."""
        return not self.development

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ConsoleSettings:
        """Build the settings from environment variables.

        Raises:
            ConfigurationError: A secret is missing (outside development) or a
                value is invalid.
        """
        env = dict(os.environ if environ is None else environ)
        development = env.get("CONSOLE_ENV", "").strip().lower() == "development"
        token = env.get("CONSOLE_API_TOKEN", "").strip()
        if not token and not development:
            raise ConfigurationError("CONSOLE_API_TOKEN is not set")
        tracker_db = tracker_store_url(env)
        table = env.get("ANALYTICS_EVENTS_TABLE") or "events"
        if table not in ("events", "analytics_events"):
            raise ConfigurationError(
                "ANALYTICS_EVENTS_TABLE must be events or analytics_events, "
                f"got {table!r}"
            )
        try:
            return cls(
                secret_key=_secret_key(
                    env.get("CONSOLE_SECRET_KEY", "").strip(), development
                ),
                api_token=token or base64.urlsafe_b64encode(os.urandom(24)).decode(),
                host=env.get("CONSOLE_HOST") or "127.0.0.1",
                port=int(env.get("CONSOLE_PORT") or 8080),
                database_url=env.get("CONSOLE_DATABASE_URL") or DEFAULT_DATABASE_URL,
                rasa_url=(env.get("RASA_URL") or "http://127.0.0.1:5005").rstrip("/"),
                rasa_token=env.get("RASA_TOKEN", ""),
                development=development,
                service_hours=ServiceHours.parse(
                    env.get("CONSOLE_SERVICE_HOURS") or "09:00-22:00"
                ),
                minutes_per_conversation=int(
                    env.get("CONSOLE_MINUTES_PER_CONVERSATION") or 5
                ),
                poll_interval=float(env.get("CONSOLE_POLL_INTERVAL") or 1.0),
                tracker_db_url=tracker_db,
                analytics_db_url=(
                    analytics_events_url(env)
                    if table == "analytics_events"
                    else env.get("ANALYTICS_DB_URL") or tracker_db
                ),
                analytics_table=table,
                chat_sends_per_minute=int(env.get("CHAT_SENDS_PER_MINUTE") or 20),
                chat_sends_per_minute_per_address=int(
                    env.get("CHAT_SENDS_PER_MINUTE_PER_ADDRESS") or 300
                ),
                max_chats=_positive(env, "CONSOLE_MAX_CHATS", 5),
                heartbeat_timeout=_positive(env, "CONSOLE_HEARTBEAT_TIMEOUT", 60),
                away_after=_positive(env, "CONSOLE_AWAY_AFTER", 600),
                assign_interval=_positive(env, "CONSOLE_ASSIGN_INTERVAL", 5),
                sla_first=_positive(env, "CONSOLE_SLA_FIRST", 60),
                sla_next=_positive(env, "CONSOLE_SLA_NEXT", 120),
                environ=env,
            )
        except ValueError as error:
            raise ConfigurationError(str(error)) from error
