"""Settings of the WeCom kf channel, read once from the environment at startup."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from bot.platform.settings import SettingError, positive_float
from bot.wecom.errors import ConfigurationError

DEFAULT_API_BASE_URL = "https://qyapi.weixin.qq.com"
DEFAULT_STATE_DIR = "var/wecom"
AES_KEY_LENGTH = 43


class HandoffMode(str, Enum):
    """Who answers a shopper handed to a person (``WECOM_HANDOFF_MODE``)."""

    CONSOLE = "console"  # stay 智能助手 (state 1); agents answer in Xiaoke's console
    WECOM = "wecom"  # service_state/trans to 2 or 3; the shop's WeCom agents answer


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    try:
        return positive_float(env, name, default)
    except SettingError as error:
        raise ConfigurationError(str(error)) from error


@dataclass(frozen=True)
class WeComSettings:
    """Everything the channel needs, validated once.

    Attributes:
        corp_id: ``WECOM_CORP_ID`` (企业ID), also the crypto's receive id.
        kf_secret: ``WECOM_KF_SECRET``, the 微信客服 API secret.
        token: ``WECOM_TOKEN``, the callback token (signatures).
        aes_key: ``WECOM_AES_KEY``, the 43-character EncodingAESKey.
        api_base_url: ``WECOM_API_BASE_URL``.
        handoff_mode: ``WECOM_HANDOFF_MODE`` (``console`` or ``wecom``).
        handoff_servicer: ``WECOM_HANDOFF_SERVICER``: a WeCom userid to hand to
            directly (state 3, 由人工接待); empty: the queue (state 2, 待接入池).
        redis_url: ``REDIS_URL``: cursors and dedup shared by every process;
            ``None``: SQLite cursors under ``state_dir`` and dedup in memory.
        state_dir: ``WECOM_STATE_DIR``, where the embedded cursor store lives.
        max_body: ``WECOM_MAX_BODY``, largest accepted callback body in bytes.
        timestamp_window: ``WECOM_TIMESTAMP_WINDOW``, accepted clock skew (s).
        api_timeout: ``WECOM_API_TIMEOUT``, seconds per API call.
    """

    corp_id: str
    kf_secret: str
    token: str
    aes_key: str
    api_base_url: str = DEFAULT_API_BASE_URL
    handoff_mode: HandoffMode = HandoffMode.CONSOLE
    handoff_servicer: str = ""
    redis_url: str | None = None
    state_dir: Path = Path(DEFAULT_STATE_DIR)
    max_body: int = 64 * 1024
    timestamp_window: int = 300
    api_timeout: float = 5.0

    def __post_init__(self) -> None:
        for name, value in (
            ("WECOM_CORP_ID", self.corp_id),
            ("WECOM_KF_SECRET", self.kf_secret),
            ("WECOM_TOKEN", self.token),
        ):
            if not value:
                raise ConfigurationError(f"{name} is empty")
        if len(self.aes_key) != AES_KEY_LENGTH:
            raise ConfigurationError(
                f"WECOM_AES_KEY must have {AES_KEY_LENGTH} characters, "
                f"got {len(self.aes_key)}"
            )

    @property
    def handoff_state(self) -> int:
        """The state a ``wecom`` handoff moves to (3 with a servicer, else 2)."""
        return 3 if self.handoff_servicer else 2

    @classmethod
    def from_env(cls, env: Mapping[str, Any]) -> WeComSettings | None:
        """Build settings from environment-style keys.

        Args:
            env: ``os.environ``, optionally overlaid with credentials.yml values.

        Returns:
            The settings, or ``None`` when ``WECOM_TOKEN`` is unset (channel off).

        Raises:
            ConfigurationError: A value is missing or invalid.
        """
        values = {key: str(value) for key, value in env.items() if value is not None}
        token = values.get("WECOM_TOKEN", "").strip()
        if not token:
            return None
        raw_mode = values.get("WECOM_HANDOFF_MODE", "").strip().lower() or "console"
        try:
            mode = HandoffMode(raw_mode)
        except ValueError as error:
            raise ConfigurationError(
                f"WECOM_HANDOFF_MODE must be console or wecom, got {raw_mode!r}"
            ) from error
        return cls(
            corp_id=values.get("WECOM_CORP_ID", "").strip(),
            kf_secret=values.get("WECOM_KF_SECRET", "").strip(),
            token=token,
            aes_key=values.get("WECOM_AES_KEY", "").strip(),
            api_base_url=(
                values.get("WECOM_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL
            ).rstrip("/"),
            handoff_mode=mode,
            handoff_servicer=values.get("WECOM_HANDOFF_SERVICER", "").strip(),
            redis_url=values.get("REDIS_URL", "").strip() or None,
            state_dir=Path(
                values.get("WECOM_STATE_DIR", "").strip() or DEFAULT_STATE_DIR
            ),
            max_body=int(_float(values, "WECOM_MAX_BODY", 64 * 1024)),
            timestamp_window=int(_float(values, "WECOM_TIMESTAMP_WINDOW", 300)),
            api_timeout=_float(values, "WECOM_API_TIMEOUT", 5.0),
        )
