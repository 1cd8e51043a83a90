"""Settings of the WeChat channel, read once from the environment at startup."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.platform.settings import SettingError, positive_float
from bot.wechat.errors import ConfigurationError

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"
#: Seconds the webhook waits for the bot's answer before ``success`` (later through
#: the API). WeChat hangs up at 5 s; the rest is margin for the event loop's own
#: delay under overload: with 4 s, 500 followers writing back to back saw the HTTP
#: answer at up to 4.77–5.09 s, with 3 s at up to 3.79–3.96 s (benchmarks/README.md).
DEFAULT_REPLY_BUDGET = 3.0
#: Without AppID and secret a late answer cannot be delivered at all, so the
#: webhook waits longer for it (and keeps less margin under overload).
DEFAULT_REPLY_BUDGET_WITHOUT_API = 4.0
DEFAULT_MAX_BODY = 64 * 1024
DEFAULT_TIMESTAMP_WINDOW = 300
#: WeChat's limit of a passive text reply's ``Content``, in UTF-8 bytes.
DEFAULT_PASSIVE_LIMIT = 2048
#: Bot turns of WeChat messages in progress at once in one server process. A turn
#: is ≈ 30 ms of CPU, so 8 keep the server's core busy while the event loop's
#: rounds stay short enough for every waiting push to get its answer on time.
DEFAULT_MAX_TURNS = 8
AES_KEY_LENGTH = 43

#: Menu CLICK ``EventKey`` → message sent to Rasa. Both the ASCII keys we suggest
#: for the menu definition and the Chinese button names are understood.
DEFAULT_MENU: dict[str, str] = {
    "TRACK_DELIVERY": "/track_delivery",
    "REQUEST_RETURN": "/request_return",
    "CHECK_RETURN_STATUS": "/check_return_status",
    "REGISTER_WARRANTY": "/register_warranty",
    "CHECK_WARRANTY": "/check_warranty",
    "CHECK_LOYALTY": "/check_loyalty",
    "HUMAN_HANDOFF": "/human_handoff",
    "查物流": "/track_delivery",
    "退换货": "/request_return",
    "退货进度": "/check_return_status",
    "登记保修": "/register_warranty",
    "查保修": "/check_warranty",
    "查积分": "/check_loyalty",
    "转人工": "/human_handoff",
}


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        return positive_float(env, name, default)
    except SettingError as error:
        raise ConfigurationError(str(error)) from error


def load_menu(env: Mapping[str, str]) -> dict[str, str]:
    """Read the CLICK mapping: ``WECHAT_MENU`` (JSON) or ``WECHAT_MENU_FILE``.

    Args:
        env: The environment (or credentials merged into it).

    Returns:
        ``EventKey`` → message text for Rasa (usually an intent payload).

    Raises:
        ConfigurationError: The JSON is invalid or not a string-to-string object.
    """
    raw = env.get("WECHAT_MENU", "").strip()
    source = "WECHAT_MENU"
    if not raw and env.get("WECHAT_MENU_FILE", "").strip():
        source = env["WECHAT_MENU_FILE"].strip()
        try:
            raw = Path(source).read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigurationError(f"cannot read {source}: {error}") from error
    if not raw:
        return dict(DEFAULT_MENU)
    try:
        menu = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{source} is not valid JSON: {error}") from error
    if not isinstance(menu, dict) or not all(
        isinstance(key, str) and isinstance(value, str) and value.strip()
        for key, value in menu.items()
    ):
        raise ConfigurationError(f"{source} must map EventKey strings to messages")
    return {key: value.strip() for key, value in menu.items()}


@dataclass(frozen=True)
class WeChatSettings:
    """Everything the channel needs, validated once.

    Attributes:
        token: ``WECHAT_TOKEN``, the server-configuration token (signatures).
        aes_key: ``WECHAT_AES_KEY``, the 43-character EncodingAESKey, or ``None``
            for plaintext mode. When set, plaintext callbacks are refused.
        app_id: ``WECHAT_APP_ID``.
        app_secret: ``WECHAT_APP_SECRET`` (for the access token).
        api_base_url: ``WECHAT_API_BASE_URL``.
        reply_budget: ``WECHAT_REPLY_BUDGET``, seconds the webhook waits for the
            bot before answering ``success`` and delivering later (3 by default,
            4 without AppID and secret, when a late answer cannot be delivered).
        max_body: ``WECHAT_MAX_BODY``, largest accepted request body in bytes.
        timestamp_window: ``WECHAT_TIMESTAMP_WINDOW``, accepted clock skew (s).
        redis_url: ``REDIS_URL`` for the dedup store (memory when ``None``).
        menu: Menu CLICK ``EventKey`` → message for Rasa.
        api_timeout: ``WECHAT_API_TIMEOUT``, seconds per platform API call.
        passive_limit: ``WECHAT_PASSIVE_LIMIT``, largest passive reply in UTF-8
            bytes; a turn's answer longer than that is split.
        max_turns: ``WECHAT_MAX_TURNS``, bot turns in progress at once; more
            messages wait their turn, so the acknowledgments of waiting
            messages are never delayed behind a crowd of turns.
    """

    token: str
    aes_key: str | None = None
    app_id: str = ""
    app_secret: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    reply_budget: float = DEFAULT_REPLY_BUDGET
    max_body: int = DEFAULT_MAX_BODY
    timestamp_window: int = DEFAULT_TIMESTAMP_WINDOW
    redis_url: str | None = None
    menu: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MENU))
    api_timeout: float = 5.0
    passive_limit: int = DEFAULT_PASSIVE_LIMIT
    max_turns: int = DEFAULT_MAX_TURNS

    def __post_init__(self) -> None:
        if not self.token:
            raise ConfigurationError("WECHAT_TOKEN is empty")
        if self.aes_key is not None:
            if len(self.aes_key) != AES_KEY_LENGTH:
                raise ConfigurationError(
                    f"WECHAT_AES_KEY must have {AES_KEY_LENGTH} characters, "
                    f"got {len(self.aes_key)}"
                )
            if not self.app_id:
                raise ConfigurationError("WECHAT_AES_KEY needs WECHAT_APP_ID")
        if self.max_turns < 1:
            raise ConfigurationError(
                f"WECHAT_MAX_TURNS must be at least 1, got {self.max_turns}"
            )
        if self.passive_limit < 16:
            raise ConfigurationError(
                f"WECHAT_PASSIVE_LIMIT of {self.passive_limit} bytes is too small"
            )

    @property
    def can_send(self) -> bool:
        """Whether the customer-service API is usable (AppID and secret set)."""
        return bool(self.app_id and self.app_secret)

    @classmethod
    def from_env(cls, env: Mapping[str, Any]) -> WeChatSettings | None:
        """Build settings from environment-style keys.

        Args:
            env: ``os.environ``, optionally overlaid with credentials.yml values.

        Returns:
            The settings, or ``None`` when ``WECHAT_TOKEN`` is unset (channel off).

        Raises:
            ConfigurationError: A value is present but invalid.
        """
        values = {key: str(value) for key, value in env.items() if value is not None}
        token = values.get("WECHAT_TOKEN", "").strip()
        if not token:
            return None
        aes_key = values.get("WECHAT_AES_KEY", "").strip() or None
        app_id = values.get("WECHAT_APP_ID", "").strip()
        app_secret = values.get("WECHAT_APP_SECRET", "").strip()
        default_budget = (
            DEFAULT_REPLY_BUDGET
            if app_id and app_secret
            else DEFAULT_REPLY_BUDGET_WITHOUT_API
        )
        return cls(
            token=token,
            aes_key=aes_key,
            app_id=app_id,
            app_secret=app_secret,
            api_base_url=(
                values.get("WECHAT_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL
            ).rstrip("/"),
            reply_budget=_float(values, "WECHAT_REPLY_BUDGET", default_budget),
            max_body=int(_float(values, "WECHAT_MAX_BODY", DEFAULT_MAX_BODY)),
            timestamp_window=int(
                _float(values, "WECHAT_TIMESTAMP_WINDOW", DEFAULT_TIMESTAMP_WINDOW)
            ),
            redis_url=values.get("REDIS_URL", "").strip() or None,
            menu=load_menu(values),
            api_timeout=_float(values, "WECHAT_API_TIMEOUT", 5.0),
            passive_limit=int(
                _float(values, "WECHAT_PASSIVE_LIMIT", DEFAULT_PASSIVE_LIMIT)
            ),
            max_turns=int(_float(values, "WECHAT_MAX_TURNS", DEFAULT_MAX_TURNS)),
        )
