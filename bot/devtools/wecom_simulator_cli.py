"""The WeCom kf simulator's command line: ``python -m bot.devtools.wecom_simulator``.

See ``bot/devtools/wecom_simulator.py`` for what it plays and an example.
"""

from __future__ import annotations

import argparse
import asyncio

from bot.devtools.wecom_simulator import WeComPlatform


async def _try(args: argparse.Namespace) -> None:
    platform = WeComPlatform(args.token, args.aes_key, server_url=args.url)
    await platform.start(args.port)
    print(f"kf API at {platform.api_url} (set WECOM_API_BASE_URL to it)")
    try:
        for text in args.texts:
            platform.customer_says(args.user, text)
            before = len(platform.texts_for(args.user))
            status, _ = await platform.push_callback()
            print(f"顾客：{text}  (callback → HTTP {status})")
            for reply in (await platform.wait_for(args.user, before + 1))[before:]:
                print(f"小客：{reply}")
    finally:
        await platform.stop()


def main() -> None:
    """Serve the simulated kf API and send the given texts as one shopper."""
    parser = argparse.ArgumentParser(description="Chat with Xiaoke as 微信客服 would.")
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--port", type=int, default=8901)
    parser.add_argument("--token", required=True)
    parser.add_argument("--aes-key", required=True)
    parser.add_argument("--user", default="wmSimShopper001")
    parser.add_argument("texts", nargs="+")
    asyncio.run(_try(parser.parse_args()))
