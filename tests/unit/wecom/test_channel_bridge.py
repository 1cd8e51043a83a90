"""The Rasa side of the kf channel: off when unset, Rasa's pause read and cleared."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.core.tracker_store import InMemoryTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_server.channels.wecom_kf import TrackerControl, WeComKfInput
from bot.rasa_server.resilience.channels import WeComKfInput as GuardedWeComKfInput


def test_the_channel_is_off_without_a_token(monkeypatch):
    monkeypatch.delenv("WECOM_TOKEN", raising=False)
    channel = GuardedWeComKfInput.from_credentials(None)
    assert channel.settings is None
    assert channel.name() == "wecom"


def test_credentials_override_the_environment(monkeypatch):
    monkeypatch.setenv("WECOM_TOKEN", "t")
    monkeypatch.setenv("WECOM_CORP_ID", "ww1")
    monkeypatch.setenv("WECOM_KF_SECRET", "s")
    channel = WeComKfInput.from_credentials(
        {"wecom_aes_key": "b" * 43, "wecom_handoff_mode": "wecom"}
    )
    assert channel.settings is not None
    assert channel.settings.aes_key == "b" * 43
    assert channel.settings.handoff_mode.value == "wecom"


@pytest.fixture
def agent():
    return SimpleNamespace(
        tracker_store=InMemoryTrackerStore(Domain.empty()),
        lock_store=InMemoryLockStore(),
    )


async def test_tracker_control_reads_and_clears_rasas_pause(agent):
    conversation = "wecom:wk1:wm1"
    tracker = DialogueStateTracker.from_events(
        conversation, [UserUttered("转人工"), ConversationPaused()]
    )
    await agent.tracker_store.save(tracker)
    control = TrackerControl(lambda: agent)
    assert await control.is_paused(conversation)
    await control.resume(conversation)
    assert not await control.is_paused(conversation)
    saved = await agent.tracker_store.retrieve(conversation)
    assert [type(event).__name__ for event in list(saved.events)[-2:]] == [
        "ConversationResumed",
        "ActionExecuted",
    ]
    assert saved.latest_action_name == "action_listen"


async def test_tracker_control_without_an_agent_sees_no_pause():
    control = TrackerControl(lambda: None)
    assert not await control.is_paused("wecom:wk1:wm1")
    await control.resume("wecom:wk1:wm1")
