"""One WeChat channel server process with an echo bot, for multi-process tests.

Serves the real channel (``WeChatInput``, plaintext mode) in a Sanic app of its
own, with a Redis dedup store under a given key prefix, so a test can run it
beside another server and see whether both share the dedup state. The bot
answers ``收到：<text>`` after ``--delay`` seconds and appends one line per
message it handles to ``--calls`` (``<openid>\\t<text>``)::

    python -m tests.support.wechat_channel_server --port 8100 --token t \
        --redis-url redis://127.0.0.1:6379/0 --prefix xiaoke:test: --calls calls.txt

It answers ``GET /webhooks/wechat/`` once it serves.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from sanic import Sanic

from bot.rasa_server.channels.wechat import WeChatInput
from bot.wechat.config import WeChatSettings
from bot.wechat.dedup import RedisStateStore


class EchoBot:
    """Rasa's ``on_new_message`` stand-in that logs every call to a file.

    Args:
        calls: The file each handled message is appended to.
        delay: Seconds to think before answering.
    """

    def __init__(self, calls: Path, delay: float) -> None:
        self.calls = calls
        self.delay = delay

    async def __call__(self, message: Any) -> None:
        """Record the message, wait, answer ``收到：<text>``."""
        with self.calls.open("a", encoding="utf-8") as log:
            # The channel names the conversation wechat:<openid>; log the openid.
            openid = message.sender_id.removeprefix("wechat:")
            log.write(f"{openid}\t{message.text}\n")
        await asyncio.sleep(self.delay)
        await message.output_channel.send_text_message(
            message.sender_id, f"收到：{message.text}"
        )


def main() -> None:
    """Parse the arguments and serve until terminated."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--calls", type=Path, required=True)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--budget", type=float, default=1.0)
    args = parser.parse_args()
    channel = WeChatInput(
        WeChatSettings(token=args.token, reply_budget=args.budget),
        store=RedisStateStore(args.redis_url, args.prefix),
    )
    app = Sanic("wechat_channel_server", configure_logging=False)
    app.blueprint(
        channel.blueprint(EchoBot(args.calls, args.delay)),
        url_prefix="/webhooks/wechat",
    )
    app.run(host="127.0.0.1", port=args.port, access_log=False)


if __name__ == "__main__":
    main()
