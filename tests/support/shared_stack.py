"""One stack of the assistant's real processes, shared by the end-to-end modules.

Loading the trained model into a Rasa server is the slow part of an end-to-end
test, so the modules under ``tests/e2e`` share one stack per test run
(``tests/e2e/conftest.py``): the order and CRM services on SQLite, the action
server, the Rasa server with the REST, WeChat (safe mode), WeCom kf (console
handoff mode) and web chat channels, and the agent console. A module that needs
other settings (a log level, a hung call's timeout, processes it kills, the kf
``wecom`` handoff mode) starts its own.

What the modules share is state: the backends' data, the conversation store and
the console's queue. So a test talks as senders of its own, reads the figures it
checks from the backends when another module may change them, finds its own web
chat conversation (:meth:`SharedStack.web_conversations`) and reads only the log
lines written while it ran (:class:`LogMark`). The WeCom kf simulator is one
for the whole run (:attr:`SharedStack.wecom`), since the Rasa server keeps its
sync cursor: a module serves it only while its tests run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.devtools.processes import free_port
from bot.devtools.wechat_simulator import WeChatPlatform
from bot.devtools.wecom_simulator import CORP_ID, KF_SECRET, WeComPlatform
from tests.support.backend_processes import run_backends
from tests.support.console_processes import (
    Console,
    console_port_and_token,
    run_console,
)
from tests.support.processes import Assistant, run_assistant

#: The WeChat official account the shared Rasa server serves (safe, AES mode).
WECHAT_TOKEN = "e2e-shared-wechat-token"
WECHAT_AES_KEY = "SharedE2eKey0123456789abcdefghijklmnopqrstu"  # 43 characters
WECHAT_APP_ID = "wxe2e0000000000042"
WECHAT_APP_SECRET = "e2e-shared-wechat-secret"
#: The WeCom kf account (微信客服) the shared Rasa server serves; agents answer
#: a handed-over shopper in the console (``WECOM_HANDOFF_MODE=console``).
WECOM_TOKEN = "e2e-shared-wecom-token"
WECOM_AES_KEY = "SharedE2eWeComKey0123456789abcdefghijklmnop"  # 43 characters
WECOM_HANDOFF_MODE = "console"
#: Characters of a message the shared Rasa server reads (``MAX_MESSAGE_CHARS``).
MAX_MESSAGE_CHARS = 2000


@dataclass
class LogMark:
    """Where each log of a directory ended when the mark was made.

    Attributes:
        logs: The log directory.
        sizes: Log file name → its size in bytes at the mark.
    """

    logs: Path
    sizes: dict[str, int] = field(default_factory=dict)

    @classmethod
    def now(cls, logs: Path) -> LogMark:
        """Mark the current end of every ``*.log`` in ``logs``."""
        return cls(logs, {log.name: log.stat().st_size for log in logs.glob("*.log")})

    def since(self, name: str) -> str:
        """What ``name`` (e.g. ``rasa.log``) got after the mark."""
        path = self.logs / name
        with path.open("rb") as log:
            log.seek(self.sizes.get(name, 0))
            return log.read().decode("utf-8", errors="replace")

    def names(self) -> list[str]:
        """Every log file in the directory now, sorted."""
        return sorted(log.name for log in self.logs.glob("*.log"))


@dataclass(frozen=True)
class SharedStack:
    """The shared running processes and how to reach them.

    Attributes:
        assistant: The Rasa server (and the action server's URL).
        console: The agent console, which also serves the shopper web chat.
        backend_env: ``BACKEND_API_TOKEN``, ``ORDERS_URL`` and ``CRM_URL``.
        wechat_api_port: Where the Rasa server expects the WeChat platform's API
            (a module's simulator listens there while its tests run).
        wecom: The WeCom kf simulator, one for the run (its message log and the
            Rasa server's sync cursor go together); a module serves it on
            ``wecom_env["WECOM_API_BASE_URL"]``'s port while its tests run.
        wecom_env: The Rasa server's ``WECOM_*`` settings.
        wecom_api_port: Where the Rasa server expects the kf API.
        workdir: The databases (``orders.db``, ``crm.db``, ``tracker.db``,
            ``console.db``) and the processes' logs.
    """

    assistant: Assistant
    console: Console
    backend_env: dict[str, str]
    wechat_api_port: int
    workdir: Path
    wecom: WeComPlatform
    wecom_env: dict[str, str]
    wecom_api_port: int

    @property
    def tracker_db(self) -> Path:
        """The Rasa server's SQLite conversation store."""
        return self.workdir / "tracker.db"

    @property
    def crm_db(self) -> Path:
        """The CRM service's SQLite database."""
        return self.workdir / "crm.db"

    def log_mark(self) -> LogMark:
        """Mark the logs' current ends, to read later only what came after."""
        return LogMark.now(self.workdir)

    def web_conversations(self) -> set[str]:
        """Every web chat conversation in the store (``web:<id>``, console-issued)."""
        with sqlite3.connect(self.tracker_db) as db:
            rows = db.execute(
                "SELECT DISTINCT sender_id FROM events WHERE sender_id LIKE 'web:%'"
            ).fetchall()
        return {row[0] for row in rows}

    def wechat_platform(self) -> WeChatPlatform:
        """A WeChat simulator of the shared account, in safe (AES) mode.

        Start it on :attr:`wechat_api_port`, where the Rasa server calls the
        platform's API.
        """
        return WeChatPlatform(
            token=WECHAT_TOKEN,
            app_id=WECHAT_APP_ID,
            app_secret=WECHAT_APP_SECRET,
            aes_key=WECHAT_AES_KEY,
            mode="safe",
            server_url=self.assistant.url,
        )


@contextmanager
def run_shared_stack(model_path: Path, workdir: Path) -> Iterator[SharedStack]:
    """Start the backends, action server, Rasa server and console; stop them after.

    The kf simulator is made here but not served: a module starts it.

    Args:
        model_path: The trained model archive.
        workdir: Where the databases and the logs go.

    Yields:
        The running stack.
    """
    api_port = free_port()
    wecom_api_port = free_port()
    console_port, console_token = console_port_and_token()
    wechat = {
        "WECHAT_TOKEN": WECHAT_TOKEN,
        "WECHAT_AES_KEY": WECHAT_AES_KEY,
        "WECHAT_APP_ID": WECHAT_APP_ID,
        "WECHAT_APP_SECRET": WECHAT_APP_SECRET,
        "WECHAT_API_BASE_URL": f"http://127.0.0.1:{api_port}",
    }
    wecom = {
        "WECOM_TOKEN": WECOM_TOKEN,
        "WECOM_AES_KEY": WECOM_AES_KEY,
        "WECOM_CORP_ID": CORP_ID,
        "WECOM_KF_SECRET": KF_SECRET,
        "WECOM_API_BASE_URL": f"http://127.0.0.1:{wecom_api_port}",
        "WECOM_HANDOFF_MODE": WECOM_HANDOFF_MODE,
        "WECOM_STATE_DIR": str(workdir / "wecom"),
    }
    # The Rasa server keeps shoppers' pictures here, the console serves them.
    media = {"MEDIA_DIR": str(workdir / "media")}
    with run_backends(workdir) as backends:
        env = {
            **backends,
            **wechat,
            **wecom,
            **media,
            "CONSOLE_URL": f"http://127.0.0.1:{console_port}",
            "CONSOLE_API_TOKEN": console_token,
            "MAX_MESSAGE_CHARS": str(MAX_MESSAGE_CHARS),
        }
        with run_assistant(model_path, workdir, env) as assistant:
            console_env = {
                **backends,
                **wechat,
                **media,
                "RASA_URL": assistant.url,
                "RASA_TOKEN": assistant.token,
            }
            with run_console(
                workdir, console_port, console_token, console_env
            ) as console:
                platform = WeComPlatform(
                    WECOM_TOKEN, WECOM_AES_KEY, server_url=assistant.url
                )
                yield SharedStack(
                    assistant,
                    console,
                    backends,
                    api_port,
                    workdir,
                    platform,
                    wecom,
                    wecom_api_port,
                )
