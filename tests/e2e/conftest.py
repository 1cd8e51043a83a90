"""Fixtures of the end-to-end modules: one shared stack, a browser per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.console_processes import CHROMIUM_ARGS, ensure_chromium
from tests.support.shared_stack import SharedStack, run_shared_stack


@pytest.fixture(scope="package")
def shared_stack(
    model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SharedStack]:
    """The stack the end-to-end modules share.

    Started when a module first needs it, stopped after the last test of
    ``tests/e2e``, so it does not hold a Rasa server through the other suites.
    """
    with run_shared_stack(model_path, tmp_path_factory.mktemp("e2e-shared")) as stack:
        yield stack


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium, driven by Playwright's synchronous API.

    Module-scoped: the synchronous API runs an event loop of its own, which must
    not outlive the module's browser tests into other modules' asyncio tests.
    """
    from playwright.sync_api import sync_playwright

    executable = ensure_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(executable), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()
