"""WeChat's 48-hour window and messages left, from a transcript."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.console.wechat_limits import send_limits

T0 = datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)


def at(minutes: float) -> float:
    return (T0 + timedelta(minutes=minutes)).timestamp()


def test_web_chat_has_no_limits():
    assert send_limits("web", [("shopper", at(0))]) is None
    assert send_limits("rest", [("shopper", at(0))]) is None


def test_window_is_48_hours_from_the_shoppers_last_message():
    limits = send_limits(
        "wechat", [("shopper", at(0)), ("bot", at(0.1)), ("shopper", at(10))]
    )
    assert limits is not None
    assert limits.window_ends == T0 + timedelta(minutes=10, hours=48)
    assert limits.is_open(T0 + timedelta(hours=48))
    assert not limits.is_open(T0 + timedelta(hours=48, minutes=10))
    closed = limits.as_json(T0 + timedelta(hours=49))
    assert closed["open"] is False and closed["left"] == 0


def test_official_account_agents_have_five_messages_per_shopper_message():
    lines = [("shopper", at(0)), ("agent", at(1)), ("agent", at(2)), ("bot", at(3))]
    limits = send_limits("wechat", lines)
    assert limits is not None
    assert (limits.quota, limits.used, limits.left) == (5, 2, 3)
    spent = send_limits("wechat", lines[:1] + [("agent", at(m)) for m in range(1, 8)])
    assert spent is not None and spent.left == 0  # never below zero


def test_a_new_shopper_message_gives_a_new_quota():
    lines = [("shopper", at(0))] + [("agent", at(m)) for m in range(1, 6)]
    assert send_limits("wecom", lines).left == 0  # type: ignore[union-attr]
    renewed = send_limits("wecom", [*lines, ("shopper", at(7)), ("agent", at(8))])
    assert renewed is not None
    assert (renewed.quota, renewed.left) == (5, 4)
    assert renewed.as_json(T0)["codes"] == "95002/95001"


def test_no_shopper_message_means_no_window():
    limits = send_limits("wechat", [("bot", at(0))])
    assert limits is not None
    assert limits.window_ends is None and not limits.is_open(T0)
    assert limits.as_json(T0)["window_ends"] is None
