"""Where the tracker window cuts a session, from the rows' type column alone."""

from __future__ import annotations

import pytest

from bot.rasa_server.tracker_window import (
    DEFAULT_WINDOW_EVENTS,
    MIN_USER_TURNS,
    StoredRow,
    plan_window,
    window_events_setting,
)


def _rows(*kinds: str) -> list[StoredRow]:
    """Rows from ``type`` or ``type:name`` strings, ids from 1."""
    rows = []
    for index, kind in enumerate(kinds, start=1):
        type_name, _, name = kind.partition(":")
        rows.append(StoredRow(index, type_name, name or None, float(index)))
    return rows


HEAD = ("session_started", "slot:customer_id", "action:action_listen")
TURN = ("user", "action:utter_greet", "bot", "action:action_listen")


def test_the_window_starts_at_the_listen_before_a_user_message():
    rows = _rows(*HEAD, *TURN * 30)

    plan = plan_window(rows, window=20)

    assert plan is not None
    assert plan.head == len(HEAD)
    assert rows[plan.tail_start].action_name == "action_listen"
    assert rows[plan.tail_start + 1].type_name == "user"
    tail = rows[plan.tail_start :]
    assert len(tail) >= 20
    assert sum(row.type_name == "user" for row in tail) >= MIN_USER_TURNS
    assert rows[plan.last_user].type_name == "user"
    assert plan.last_user < plan.tail_start
    assert plan.state == (1,)  # the slot of the head


def test_a_short_session_is_loaded_whole():
    assert plan_window(_rows(*HEAD, *TURN * 5), window=20) is None
    assert plan_window(_rows(*HEAD, *TURN * 30), window=0) is None


def test_slots_of_a_rewound_message_are_not_part_of_the_state():
    rewound = ("user", "slot:order_id", "rewind", "action:action_listen")
    rows = _rows(*HEAD, *TURN * 2, *rewound, *TURN * 30)

    plan = plan_window(rows, window=20)

    assert plan is not None
    assert [rows[i].action_name for i in plan.state] == ["customer_id"]


def test_a_restart_clears_the_state_before_it():
    rows = _rows(*HEAD, *TURN * 2, "slot:order_id", "restart", *TURN * 30)

    plan = plan_window(rows, window=20)

    assert plan is not None
    assert plan.state == ()


def test_an_active_form_keeps_its_trigger_and_a_pending_rejection():
    form = (
        "user",
        "action:return_form",
        "active_loop:return_form",
        "slot:requested_slot",
        "action:action_listen",
        "user",
        "action_execution_rejected:return_form",
        "action:utter_faq",
        "bot",
        "action:action_listen",
    )
    rows = _rows(*HEAD, *TURN * 2, *form, *TURN * 30)
    trigger = len(HEAD) + len(TURN) * 2

    plan = plan_window(rows, window=20)

    assert plan is not None
    assert plan.loop_trigger == trigger
    assert plan.loop_row == trigger + 2
    assert plan.loop_rejected
    assert plan.last_user > plan.loop_row


def test_a_form_run_again_is_no_longer_rejected_and_a_closed_form_is_no_loop():
    form = (
        "user",
        "action:return_form",
        "active_loop:return_form",
        "action:action_listen",
        "user",
        "action_execution_rejected:return_form",
        "action:utter_faq",
        "action:return_form",
        "action:action_listen",
    )
    rows = _rows(*HEAD, *form, *TURN * 30)
    plan = plan_window(rows, window=20)
    assert plan is not None and plan.loop_row is not None
    assert not plan.loop_rejected

    closed = _rows(*HEAD, *form, "active_loop", *TURN * 30)
    plan = plan_window(closed, window=20)
    assert plan is not None
    assert plan.loop_row is None and plan.loop_trigger is None


def test_the_setting_defaults_and_refuses_a_negative_size(monkeypatch):
    monkeypatch.delenv("TRACKER_WINDOW_EVENTS", raising=False)
    assert window_events_setting() == DEFAULT_WINDOW_EVENTS
    monkeypatch.setenv("TRACKER_WINDOW_EVENTS", "0")
    assert window_events_setting() == 0
    assert window_events_setting(30) == 30
    with pytest.raises(ValueError):
        window_events_setting("-1")
