from bot.rasa_server.channels.wechat import WeChatInput, settings_from

from .conftest import AES_KEY


def test_channel_is_off_without_a_token(monkeypatch):
    monkeypatch.delenv("WECHAT_TOKEN", raising=False)
    assert settings_from(None, {}) is None
    assert WeChatInput.from_credentials(None).settings is None


def test_environment_is_read_and_credentials_override_it():
    settings = settings_from(
        {"token": "from-yaml", "app_id": "wx1", "aes_key": None, "redis_url": ""},
        {"WECHAT_TOKEN": "from-env", "WECHAT_AES_KEY": AES_KEY, "WECHAT_APP_ID": "x"},
    )
    assert settings is not None
    assert (settings.token, settings.app_id, settings.aes_key) == (
        "from-yaml",
        "wx1",
        AES_KEY,
    )


def test_from_credentials_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv("WECHAT_TOKEN", "env-token")
    monkeypatch.delenv("WECHAT_AES_KEY", raising=False)
    channel = WeChatInput.from_credentials(None)
    assert channel.settings is not None
    assert channel.settings.token == "env-token"
    assert channel.name() == "wechat"
