"""The Rasa server's launcher: the compiled validator judges as Rasa does."""

from pathlib import Path

import pytest
from jsonschema import ValidationError

from bot.rasa_server.launcher import install_compiled_action_validator

REPLIES = {
    "empty": {},
    "events and responses": {
        "events": [{"event": "slot", "name": "flow_outcome", "value": "x"}],
        "responses": [{"response": "utter_ask_satisfaction", "buttons": []}],
    },
    "every event kind": {
        "events": [
            {"event": "active_loop", "name": None},
            {"event": "reset_slots"},
            {"event": "pause"},
            {"event": "followup", "name": "action_handoff"},
        ]
    },
    "events not a list": {"events": {"event": "slot"}},
    "event without a kind": {"events": [{"name": "x"}]},
    "unknown event kind": {"events": [{"event": "teleport"}]},
    "responses not a list": {"responses": "utter_x"},
}


def _outcome(validate, reply):
    from rasa.core.actions.action import RemoteAction

    try:
        return ("ok", validate(RemoteAction("action_x", None), reply))
    except ValidationError as error:
        return ("error", error.message, list(error.path))


@pytest.mark.parametrize("reply", REPLIES.values(), ids=REPLIES.keys())
def test_same_verdict_and_message_as_rasa(reply, monkeypatch):
    from rasa.core.actions.action import RemoteAction

    original = RemoteAction._validate_action_result
    monkeypatch.setattr(RemoteAction, "_validate_action_result", original)
    expected = _outcome(original, reply)
    install_compiled_action_validator()
    assert RemoteAction._validate_action_result is not original
    assert _outcome(RemoteAction._validate_action_result, reply) == expected


def test_the_fix_is_what_the_server_runs():
    procfile = (Path(__file__).resolve().parents[2] / "Procfile").read_text()
    rasa_line = next(line for line in procfile.splitlines() if line.startswith("rasa:"))
    assert "-m bot.rasa_server run" in rasa_line
