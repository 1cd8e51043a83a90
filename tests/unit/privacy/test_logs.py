"""Log records are masked whichever logger and handler write them."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot.privacy.logs import MaskingFilter, install_log_masking, uninstall_log_masking


@pytest.fixture
def masking() -> Iterator[None]:
    install_log_masking()
    yield
    uninstall_log_masking()


@pytest.mark.parametrize(
    ("message", "args", "expected"),
    [
        ("bound phone %s", ("13800138000",), "bound phone 138****8000"),
        ("id %s", ("310101199001011234",), "id 3101**********1234"),
        ("card %s", ("6222021234567890123",), "card 6222***********0123"),
        ("地址 %s", ("上海市浦东新区世纪大道100号",), "地址 上海市浦东新区****"),
        ("收货人：%s，", ("王芳",), "收货人：王*，"),
        ("order %s", ("XK202411110001",), "order XK202411110001"),
    ],
)
def test_filter_masks_the_formatted_message(message, args, expected) -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, message, args, None)
    assert MaskingFilter().filter(record) is True
    assert record.getMessage() == expected


@pytest.mark.parametrize(
    "logger_name",
    ["bot.console.views", "rasa_sdk.executor", "aiohttp.access", "root"],
)
def test_installed_masking_covers_every_logger(masking, caplog, logger_name) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger(logger_name).info("verify %s", "13800138000")
    assert "13800138000" not in caplog.text
    assert "138****8000" in caplog.text


def test_install_is_idempotent_and_uninstall_restores(caplog) -> None:
    before = logging.getLogRecordFactory()
    install_log_masking()
    install_log_masking()
    uninstall_log_masking()
    assert logging.getLogRecordFactory() is before
    with caplog.at_level(logging.INFO):
        logging.getLogger("x").info("phone %s", "13800138000")
    assert "13800138000" in caplog.text


def test_exception_text_is_masked() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    record.exc_text = "ValueError: 13800138000"
    MaskingFilter().filter(record)
    assert record.exc_text == "ValueError: 138****8000"


def test_nothing_is_installed_at_import() -> None:
    code = (
        "import logging; f = logging.getLogRecordFactory(); "
        "import bot.privacy.logs, bot.console.app, bot.backends.crm.app, "
        "bot.backends.orders.app, bot.action_server; "
        "assert logging.getLogRecordFactory() is f"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
