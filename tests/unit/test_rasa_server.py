"""The Rasa server's launcher: the compiled validator, the imports it skips."""

import os
import subprocess
import sys
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
    "user and bot events": {
        "events": [
            {
                "event": "user",
                "text": "你好",
                "parse_data": {"intent": {"name": "greet"}},
            },
            {"event": "bot", "text": "您好", "data": {"buttons": []}},
            {"event": "slot", "name": "order_id", "value": None, "timestamp": None},
        ]
    },
    "a kind with a wrong field": {"events": [{"event": "user", "text": 5}]},
    "a wrong common field": {"events": [{"event": "pause", "timestamp": "now"}]},
    "an event not an object": {"events": ["slot"]},
    "a response not an object": {"responses": [{"text": "x"}, "utter_x"]},
    "reply not an object": ["events"],
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


def test_unused_packages_are_not_imported_unless_already_there():
    from bot.rasa_server.launcher import UNUSED_IMPORTS, skip_unused_imports

    modules: dict = {}
    skip_unused_imports(modules)
    assert modules == dict.fromkeys(UNUSED_IMPORTS)
    imported = {name: object() for name in UNUSED_IMPORTS}
    skip_unused_imports(imported)
    assert all(module is not None for module in imported.values())


def test_tensorflow_imports_without_the_skipped_packages():
    code = (
        "import sys\n"
        "from bot.rasa_server.launcher import UNUSED_IMPORTS, skip_unused_imports\n"
        "skip_unused_imports()\n"
        "import tensorflow, rasa.core.agent\n"
        "assert all(sys.modules[name] is None for name in UNUSED_IMPORTS)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
