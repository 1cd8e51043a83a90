"""Run ``python -m bot.wechat.qrcode`` as its own process, as a merchant would."""

from __future__ import annotations

import asyncio
import os
import sys

from tests.conftest import ROOT


async def qrcode_command(
    api_url: str, app_id: str, secret: str, *args: str
) -> tuple[int, str, str]:
    """Run the command against the platform API at ``api_url``.

    Asynchronous, so a simulator serving that API in the same event loop keeps
    answering while the command waits for it.

    Returns:
        The exit code, stdout and stderr.
    """
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "WECHAT_APP_ID": app_id,
        "WECHAT_APP_SECRET": secret,
        "WECHAT_API_BASE_URL": api_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.wechat.qrcode", *args,
        cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode("utf-8"), err.decode("utf-8")
