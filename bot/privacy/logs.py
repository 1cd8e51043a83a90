"""Mask personal data in log records, whichever handler writes them.

:func:`install_log_masking` is called by each process at startup (the console's
and the backends' ``create_app``, the action server's launcher), never at
import time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.privacy.masking import mask_text

_installed: dict[str, Callable[..., logging.LogRecord]] = {}


class MaskingFilter(logging.Filter):
    """Replace a record's message by its masked form (never drops a record)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask ``record`` in place; always let it through."""
        if getattr(record, "pii_masked", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is logging's to report
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        if record.exc_text:
            record.exc_text = mask_text(record.exc_text)
        record.pii_masked = True
        return True


def install_log_masking() -> None:
    """Mask every log record of this process from now on (idempotent).

    A filter on the root logger would miss records of child loggers, and one on
    the handlers would miss handlers added later (Rasa's and rasa_sdk's CLIs
    configure logging themselves), so the filter runs in the record factory.
    """
    if "factory" in _installed:
        return
    previous = logging.getLogRecordFactory()
    masking = MaskingFilter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        masking.filter(record)
        return record

    _installed["factory"] = previous
    logging.setLogRecordFactory(factory)


def uninstall_log_masking() -> None:
    """Undo :func:`install_log_masking` (for tests)."""
    previous = _installed.pop("factory", None)
    if previous is not None:
        logging.setLogRecordFactory(previous)
