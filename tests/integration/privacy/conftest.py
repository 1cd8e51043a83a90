"""The console fixtures (a console against a fake Rasa) for the privacy tests."""

from tests.integration.console.conftest import (  # noqa: F401 - fixtures
    console,
    console_factory,
    fake_rasa,
    sqlite_url,
)
