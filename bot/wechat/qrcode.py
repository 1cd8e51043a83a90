"""Create warranty-card QR codes: ``python -m bot.wechat.qrcode SN3F7T1W6B2X …``.

Each serial number gets a permanent parametric QR code (``QR_LIMIT_STR_SCENE``)
with the scene ``warranty:<serial>``; following the account through it or
scanning it as a follower starts warranty registration with the serial filled
in (``bot/wechat/scenes.py``). It needs ``WECHAT_APP_ID`` and
``WECHAT_APP_SECRET`` (and ``WECHAT_API_BASE_URL`` to use the simulator), and
prints per serial the code's content URL and picture URL, or JSON lines with
``--json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

from bot.wechat.client import QrCode, WeChatApiClient
from bot.wechat.config import DEFAULT_API_BASE_URL
from bot.wechat.errors import WeChatApiError, WeChatError
from bot.wechat.scenes import warranty_scene

#: Exit codes: all created; a platform or network failure; a usage error.
OK, FAILED, USAGE = 0, 1, 2


def client_from_env(env: Mapping[str, str]) -> WeChatApiClient | None:
    """The API client the environment describes, or ``None`` without AppID/secret.

    Args:
        env: The environment.
    """
    app_id = env.get("WECHAT_APP_ID", "").strip()
    app_secret = env.get("WECHAT_APP_SECRET", "").strip()
    if not app_id or not app_secret:
        return None
    base_url = env.get("WECHAT_API_BASE_URL", "").strip() or DEFAULT_API_BASE_URL
    return WeChatApiClient(app_id, app_secret, base_url)


async def create_warranty_qrcode(client: WeChatApiClient, serial: str) -> QrCode:
    """Create the warranty-card QR code of one serial number.

    Args:
        client: The platform API client (its access token is cached).
        serial: A serial number.

    Returns:
        The code.

    Raises:
        ValueError: The serial number is malformed (checked before any call).
        WeChatError: The platform refused or could not be reached.
    """
    return await client.create_qrcode(warranty_scene(serial))


def describe(code: QrCode, as_json: bool) -> str:
    """One output line for a created code."""
    serial = code.scene.partition(":")[2]
    if as_json:
        return json.dumps(
            {
                "serial_number": serial,
                "scene": code.scene,
                "ticket": code.ticket,
                "url": code.url,
                "image_url": code.image_url,
            },
            ensure_ascii=False,
        )
    return f"{serial}\t二维码内容 {code.url}\t图片 {code.image_url}"


async def run(
    serials: Sequence[str],
    env: Mapping[str, str],
    *,
    as_json: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """The command: check the serials, create the codes, print them.

    Args:
        serials: Serial numbers from the command line.
        env: The environment.
        as_json: Print JSON lines instead of text.
        out: Where the codes go.
        err: Where problems go (in Chinese, for shop staff).

    Returns:
        The exit code.
    """
    for serial in serials:
        try:
            warranty_scene(serial)
        except ValueError:
            print(
                f"序列号格式不对：{serial!r}（应为 SN 加 10 位大写字母或数字，"
                "如 SN3F7T1W6B2X），没有创建任何二维码。",
                file=err,
            )
            return USAGE
    client = client_from_env(env)
    if client is None:
        print(
            "请先设置 WECHAT_APP_ID 和 WECHAT_APP_SECRET（公众号后台 → 基本配置）。",
            file=err,
        )
        return USAGE
    try:
        for serial in serials:
            code = await create_warranty_qrcode(client, serial)
            print(describe(code, as_json), file=out, flush=True)
    except WeChatApiError as error:
        print(
            f"微信接口拒绝了 {serial} 的二维码：{error.errcode} {error.errmsg}",
            file=err,
        )
        return FAILED
    except WeChatError as error:
        print(f"连不上微信接口，{serial} 的二维码没有创建：{error}", file=err)
        return FAILED
    finally:
        await client.close()
    return OK


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.wechat.qrcode",
        description="为保修卡上的序列号生成公众号永久二维码（场景 warranty:序列号）。",
    )
    parser.add_argument("serials", nargs="+", metavar="SERIAL", help="如 SN3F7T1W6B2X")
    parser.add_argument("--json", action="store_true", help="每行输出一个 JSON 对象")
    args = parser.parse_args(argv)
    return asyncio.run(run(args.serials, os.environ, as_json=args.json))


if __name__ == "__main__":
    sys.exit(main())
