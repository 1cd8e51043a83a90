"""The WeChat simulator's command line: ``python -m bot.devtools.wechat_simulator``.

See ``bot/devtools/wechat_simulator.py`` for what it plays and examples.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from pathlib import Path

from bot.devtools.wechat_simulator import WeChatPlatform


async def _main() -> None:
    parser = argparse.ArgumentParser(description="Chat with Xiaoke as WeChat would.")
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--token", default=os.environ.get("WECHAT_TOKEN", ""))
    parser.add_argument("--aes-key", default=os.environ.get("WECHAT_AES_KEY"))
    parser.add_argument("--app-id", default=os.environ.get("WECHAT_APP_ID", "wx0"))
    parser.add_argument(
        "--app-secret", default=os.environ.get("WECHAT_APP_SECRET", "simulator-secret")
    )
    parser.add_argument("--openid", default="demo-openid-001")
    parser.add_argument(
        "--mode", default="plaintext", choices=["plaintext", "compatible", "safe"]
    )
    parser.add_argument(
        "--api-port",
        type=int,
        default=8099,
        help="serve the platform API here (point WECHAT_API_BASE_URL at it)",
    )
    parser.add_argument("--scan", metavar="SCENE", help="scan a QR code first")
    parser.add_argument(
        "--follow", metavar="SCENE", help="follow through a QR code first"
    )
    parser.add_argument(
        "--image", metavar="PATH", help="send this picture first (as a JPEG)"
    )
    parser.add_argument(
        "--serve", action="store_true", help="only serve the API, until Ctrl-C"
    )
    parser.add_argument("text", nargs="*")
    args = parser.parse_args()
    platform = WeChatPlatform(
        token=args.token,
        app_id=args.app_id,
        app_secret=args.app_secret,
        aes_key=args.aes_key,
        mode=args.mode,
        server_url=args.url,
    )
    await platform.start(args.api_port)
    try:
        if args.serve:
            print(f"platform API on {platform.api_url}; Ctrl-C to stop")
            await asyncio.Event().wait()
        pushes = [
            (f"[scan {scene}]", platform.scene_event(args.openid, scene, follow=follow))
            for scene, follow in ((args.scan, False), (args.follow, True))
            if scene
        ]
        if args.image:
            picture = await asyncio.to_thread(Path(args.image).read_bytes)
            media_id = platform.api.upload(picture, "image/jpeg")
            pushes.append(
                (f"[image {args.image}]", platform.image_message(args.openid, media_id))
            )
        pushes += [
            (text, platform.text_message(args.openid, text)) for text in args.text
        ]
        for shown, xml in pushes:
            print(f"> {shown}")
            result = await platform.push(xml)
            print(
                result.reply
                or "(success: the answer comes as customer-service messages)"
            )
    finally:
        await platform.stop()


def main() -> None:
    """Run the simulator from the command line."""
    asyncio.run(_main())
