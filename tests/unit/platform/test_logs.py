"""Log records are masked whichever logger and handler write them."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

from bot.platform.logs import (
    MaskingFilter,
    install_log_masking,
    mask_log_text,
    uninstall_log_masking,
)


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
    ["bot.console.conversation_views", "rasa_sdk.executor", "aiohttp.access", "root"],
)
def test_installed_masking_covers_every_logger(masking, caplog, logger_name) -> None:
    with caplog.at_level(logging.INFO):
        logging.getLogger(logger_name).info("verify %s", "13800138000")
    assert "13800138000" not in caplog.text
    assert "138****8000" in caplog.text


def test_install_is_idempotent_and_uninstall_restores(caplog) -> None:
    before = logging.getLogRecordFactory()
    formatter_before = logging.Formatter.format
    install_log_masking()
    install_log_masking()
    uninstall_log_masking()
    assert logging.getLogRecordFactory() is before
    assert logging.Formatter.format is formatter_before
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
        "g = logging.Formatter.format; "
        "import bot.platform.logs, bot.console.app, bot.backends.crm.app, "
        "bot.backends.orders.app, bot.action_server; "
        "import bot.rasa_server.launcher; "
        "assert logging.getLogRecordFactory() is f and logging.Formatter.format is g"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_text_behind_json_escapes_is_masked(masking, caplog) -> None:
    escaped = json.dumps({"text": "收货人王芳，上海市浦东新区世纪大道100号"})
    assert "王芳" not in escaped  # ensure_ascii: \u738b\u82b3
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("rasa.core.processor").debug(escaped)
    assert "\\u738b\\u82b3" not in caplog.text and "王芳" not in caplog.text
    assert "世纪大道" not in caplog.text
    assert '"text": "收货人王*，上海市浦东新区****"' in caplog.text


def test_escaped_quotes_and_emoji_survive_unmasked() -> None:
    line = json.dumps({"text": 'say "hi" 😀 到了'})
    assert json.loads(mask_log_text(line)) == {"text": 'say "hi" 😀 到了'}


def test_extra_fields_and_tracebacks_are_masked_in_the_formatted_line(
    masking,
) -> None:
    formatter = logging.Formatter("%(request)s %(message)s")
    try:
        raise ValueError("bad phone 13800138000")
    except ValueError:
        record = logging.getLogger("sanic.access").makeRecord(
            "sanic.access",
            logging.INFO,
            __file__,
            1,
            "done",
            None,
            sys.exc_info(),
            extra={"request": "GET /conversations/13800138000/tracker"},
        )
    line = formatter.format(record)
    assert "13800138000" not in line
    assert "GET /conversations/138****8000/tracker done" in line
    assert "ValueError: bad phone 138****8000" in line
