"""The workbench's settings: chat cap, heartbeat and idle limits."""

import pytest

from bot.console.config import ConfigurationError, ConsoleSettings

BASE = {"CONSOLE_ENV": "development"}


def test_defaults():
    settings = ConsoleSettings.from_env(BASE)
    assert (settings.max_chats, settings.heartbeat_timeout, settings.away_after) == (
        5,
        60,
        600,
    )


def test_values_from_the_environment():
    settings = ConsoleSettings.from_env(
        {
            **BASE,
            "CONSOLE_MAX_CHATS": "8",
            "CONSOLE_HEARTBEAT_TIMEOUT": "30",
            "CONSOLE_AWAY_AFTER": "900",
            "CONSOLE_ASSIGN_INTERVAL": "2",
        }
    )
    assert settings.max_chats == 8
    assert settings.heartbeat_timeout == 30
    assert settings.away_after == 900
    assert settings.assign_interval == 2


@pytest.mark.parametrize("value", ["0", "-1", "five"])
def test_a_cap_below_one_or_not_a_number_is_refused(value):
    with pytest.raises(ConfigurationError, match=r"CONSOLE_MAX_CHATS|invalid literal"):
        ConsoleSettings.from_env({**BASE, "CONSOLE_MAX_CHATS": value})
