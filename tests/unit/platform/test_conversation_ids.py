"""Conversation ids name their channel; an id without one is nobody's."""

from __future__ import annotations

import pytest

from bot.platform.conversation_ids import (
    LEGACY,
    ChannelIdentity,
    conversation_id,
    identity_of,
)


@pytest.mark.parametrize(
    ("channel", "local_id", "expected"),
    [
        (
            "wechat",
            "o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
            "wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M",
        ),
        ("web", "Zx8_k2-abc", "web:Zx8_k2-abc"),
        ("rest", "me", "rest:me"),
    ],
)
def test_ids_round_trip(channel, local_id, expected):
    assert conversation_id(channel, local_id) == expected
    assert identity_of(expected) == ChannelIdentity(channel, local_id)


@pytest.mark.parametrize("conversation", ["demo-openid-001", "sms:123", ":x", "web:"])
def test_an_id_without_a_known_channel_is_legacy(conversation):
    assert identity_of(conversation) == ChannelIdentity(LEGACY, conversation)


def test_a_prefix_inside_the_local_id_stays_in_it():
    identity = identity_of("rest:wechat:demo-openid-001")
    assert identity == ChannelIdentity("rest", "wechat:demo-openid-001")


@pytest.mark.parametrize(("channel", "local_id"), [("sms", "1"), ("web", "")])
def test_unknown_channels_and_empty_ids_are_refused(channel, local_id):
    with pytest.raises(ValueError):
        conversation_id(channel, local_id)


def test_wecom_ids_name_the_kf_account_and_bind_the_external_userid():
    from bot.platform.conversation_ids import account_conversation_id

    conversation = account_conversation_id("wecom", "wkAJ2GCAAASSm4", "wmAJ2GCAAAme1X")
    assert conversation == "wecom:wkAJ2GCAAASSm4:wmAJ2GCAAAme1X"
    identity = identity_of(conversation)
    assert identity == ChannelIdentity("wecom", "wmAJ2GCAAAme1X", "wkAJ2GCAAASSm4")
    assert identity.conversation_id == conversation


@pytest.mark.parametrize(
    "conversation", ["wecom:wk1", "wecom::wm1", "wecom:wk1:", "wecom:wk1:wm1:x"]
)
def test_an_incomplete_wecom_id_is_legacy(conversation):
    assert identity_of(conversation) == ChannelIdentity(LEGACY, conversation)


@pytest.mark.parametrize(
    ("channel", "account", "local_id"),
    [("wechat", "wk1", "wm1"), ("wecom", "", "wm1"), ("wecom", "wk1", "w:m")],
)
def test_bad_wecom_ids_are_refused(channel, account, local_id):
    from bot.platform.conversation_ids import account_conversation_id

    with pytest.raises(ValueError):
        account_conversation_id(channel, account, local_id)
    with pytest.raises(ValueError):
        conversation_id("wecom", local_id or "x")
