"""Shared values for the WeChat protocol unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "wechat"

TOKEN = "xiaoke-test-token"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters
APP_ID = "wx0123456789abcdef"


def fixture_xml(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.fixture
def settings():
    from bot.wechat.config import WeChatSettings

    return WeChatSettings(token=TOKEN, aes_key=AES_KEY, app_id=APP_ID, app_secret="s")
