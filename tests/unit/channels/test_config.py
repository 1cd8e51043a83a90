import json

import pytest

from bot.wechat.config import DEFAULT_MENU, WeChatSettings
from bot.wechat.errors import ConfigurationError

from .conftest import AES_KEY


def test_no_token_means_the_channel_is_off():
    assert WeChatSettings.from_env({}) is None
    assert WeChatSettings.from_env({"WECHAT_TOKEN": "  "}) is None


def test_defaults():
    settings = WeChatSettings.from_env({"WECHAT_TOKEN": "t"})
    assert settings is not None
    assert settings.api_base_url == "https://api.weixin.qq.com"
    assert settings.reply_budget == 4.0  # no AppID/secret: a late answer is lost
    assert settings.timestamp_window == 300
    assert settings.aes_key is None
    assert settings.redis_url is None
    assert settings.menu["查物流"] == "/track_delivery"
    assert not settings.can_send


def test_with_the_api_the_budget_leaves_a_second_of_margin():
    settings = WeChatSettings.from_env(
        {"WECHAT_TOKEN": "t", "WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s"}
    )
    assert settings is not None
    assert settings.can_send
    assert settings.reply_budget == 3.0
    explicit = WeChatSettings.from_env(
        {"WECHAT_TOKEN": "t", "WECHAT_REPLY_BUDGET": "2.5"}
    )
    assert explicit is not None
    assert explicit.reply_budget == 2.5


def test_everything_from_the_environment(tmp_path):
    menu = tmp_path / "menu.json"
    menu.write_text(json.dumps({"ORDERS": "/track_delivery"}), encoding="utf-8")
    settings = WeChatSettings.from_env(
        {
            "WECHAT_TOKEN": "t",
            "WECHAT_AES_KEY": AES_KEY,
            "WECHAT_APP_ID": "wx1",
            "WECHAT_APP_SECRET": "s",
            "WECHAT_API_BASE_URL": "http://127.0.0.1:9/",
            "WECHAT_REPLY_BUDGET": "1.5",
            "WECHAT_MAX_BODY": "2048",
            "WECHAT_TIMESTAMP_WINDOW": "60",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "WECHAT_MENU_FILE": str(menu),
        }
    )
    assert settings is not None
    assert settings.can_send
    assert settings.api_base_url == "http://127.0.0.1:9"
    assert (settings.reply_budget, settings.max_body, settings.timestamp_window) == (
        1.5,
        2048,
        60,
    )
    assert settings.menu == {"ORDERS": "/track_delivery"}


def test_menu_json_in_the_environment_wins_over_the_default():
    settings = WeChatSettings.from_env(
        {"WECHAT_TOKEN": "t", "WECHAT_MENU": '{"K": " /greet "}'}
    )
    assert settings is not None
    assert settings.menu == {"K": "/greet"}
    assert "K" not in DEFAULT_MENU


@pytest.mark.parametrize(
    "env",
    [
        {"WECHAT_AES_KEY": "short", "WECHAT_APP_ID": "wx1"},
        {"WECHAT_AES_KEY": AES_KEY},  # safe mode needs the AppID
        {"WECHAT_REPLY_BUDGET": "soon"},
        {"WECHAT_REPLY_BUDGET": "-1"},
        {"WECHAT_MENU": "[1, 2]"},
        {"WECHAT_MENU": "{not json"},
        {"WECHAT_MENU_FILE": "/nonexistent/menu.json"},
    ],
)
def test_invalid_settings_fail_at_startup(env):
    with pytest.raises(ConfigurationError):
        WeChatSettings.from_env({"WECHAT_TOKEN": "t", **env})


def test_passive_limit_defaults_to_wechats_and_can_be_lowered():
    assert WeChatSettings.from_env({"WECHAT_TOKEN": "t"}).passive_limit == 2048
    lowered = WeChatSettings.from_env(
        {"WECHAT_TOKEN": "t", "WECHAT_PASSIVE_LIMIT": "600"}
    )
    assert lowered.passive_limit == 600


@pytest.mark.parametrize("value", ["8", "-1", "lots"])
def test_a_passive_limit_without_room_is_refused(value):
    with pytest.raises(ConfigurationError):
        WeChatSettings.from_env({"WECHAT_TOKEN": "t", "WECHAT_PASSIVE_LIMIT": value})
