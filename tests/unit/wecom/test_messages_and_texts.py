"""sync_msg entries become kinds the channel acts on; a turn's texts are joined."""

from __future__ import annotations

import pytest

from bot.wecom.config import HandoffMode, WeComSettings
from bot.wecom.errors import ConfigurationError
from bot.wecom.messages import KfKind, parse_kf_message
from bot.wecom.texts import join_turn


def test_a_customer_text_goes_to_the_bot():
    message = parse_kf_message(
        {
            "msgid": "m1",
            "open_kfid": "wk1",
            "external_userid": "wm1",
            "send_time": 1700000000,
            "origin": 3,
            "msgtype": "text",
            "text": {"content": "查物流"},
        }
    )
    assert message is not None
    assert (message.kind, message.text, message.external_userid) == (
        KfKind.TEXT,
        "查物流",
        "wm1",
    )


def test_a_servicer_text_is_not_a_customer_message():
    message = parse_kf_message(
        {"msgid": "m2", "origin": 5, "msgtype": "text", "text": {"content": "您好"}}
    )
    assert message is not None and message.kind is KfKind.OTHER


@pytest.mark.parametrize("msgtype", ["voice", "video", "file"])
def test_voice_and_files_are_media(msgtype):
    message = parse_kf_message(
        {"msgid": "m3", "origin": 3, "msgtype": msgtype, msgtype: {"media_id": "x"}}
    )
    assert message is not None and message.kind is KfKind.MEDIA


def test_an_image_carries_its_media_id():
    message = parse_kf_message(
        {"msgid": "m4", "origin": 3, "msgtype": "image", "image": {"media_id": "m"}}
    )
    assert message is not None and message.kind is KfKind.IMAGE
    assert message.media_id == "m"


def test_an_image_without_a_media_id_is_media():
    message = parse_kf_message({"msgid": "m5", "origin": 3, "msgtype": "image"})
    assert message is not None and message.kind is KfKind.MEDIA


def test_enter_session_carries_its_welcome_code():
    message = parse_kf_message(
        {
            "msgid": "m4",
            "origin": 4,
            "msgtype": "event",
            "event": {
                "event_type": "enter_session",
                "open_kfid": "wk1",
                "external_userid": "wm1",
                "welcome_code": "CODE",
            },
        }
    )
    assert message is not None
    assert (message.kind, message.welcome_code, message.open_kfid) == (
        KfKind.ENTER_SESSION,
        "CODE",
        "wk1",
    )


@pytest.mark.parametrize(
    "raw",
    [{}, {"msgid": ""}, {"msgid": "m", "origin": "x"}],
    ids=["empty", "no-id", "bad-origin"],
)
def test_unreadable_entries_are_skipped(raw):
    assert parse_kf_message(raw) is None


def test_a_turn_is_joined_into_one_message_when_it_fits():
    assert join_turn(["已验证", "积分 120", "回复数字选择：\n1. 好"]) == [
        "已验证\n\n积分 120\n\n回复数字选择：\n1. 好"
    ]


def test_a_turn_too_long_for_one_message_is_split_within_the_limit():
    parts = join_turn(["甲" * 300, "乙" * 300, "丙" * 900], limit=2000)
    assert all(len(part.encode()) <= 2000 for part in parts)
    assert "".join(parts).replace("\n", "") == "甲" * 300 + "乙" * 300 + "丙" * 900
    # 甲 and 乙 share one message; 丙 (2,700 bytes) is cut in two.
    assert len(parts) == 3
    assert parts[0] == "甲" * 300 + "\n\n" + "乙" * 300


ENV = {
    "WECOM_TOKEN": "t",
    "WECOM_CORP_ID": "ww1",
    "WECOM_KF_SECRET": "s",
    "WECOM_AES_KEY": "a" * 43,
}


def test_without_a_token_the_channel_is_off():
    assert WeComSettings.from_env({**ENV, "WECOM_TOKEN": " "}) is None


def test_settings_are_read_from_the_environment():
    settings = WeComSettings.from_env(
        {**ENV, "WECOM_HANDOFF_MODE": "WeCom", "WECOM_HANDOFF_SERVICER": "zhangsan"}
    )
    assert settings is not None
    assert settings.api_base_url == "https://qyapi.weixin.qq.com"
    assert settings.handoff_mode is HandoffMode.WECOM
    assert settings.handoff_state == 3


@pytest.mark.parametrize(
    "change",
    [
        {"WECOM_AES_KEY": "short"},
        {"WECOM_KF_SECRET": ""},
        {"WECOM_HANDOFF_MODE": "phone"},
        {"WECOM_API_TIMEOUT": "-1"},
    ],
)
def test_invalid_settings_refuse_to_start(change):
    with pytest.raises(ConfigurationError):
        WeComSettings.from_env({**ENV, **change})
