"""Chat with a running Xiaoke in the terminal, through Rasa's REST channel.

Usage: ``python -m bot.devtools.chat [--url http://127.0.0.1:5005] [--sender me]``
(``make chat``). Type a message and press Enter; an empty line or Ctrl-D ends.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from typing import Any

import aiohttp

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


def format_reply(reply: dict[str, Any]) -> str:
    """Render one bot message of the REST channel as terminal text.

    Args:
        reply: One element of the REST channel's response list.

    Returns:
        The text, with numbered buttons if the message has any.
    """
    lines = [str(reply.get("text", ""))] if reply.get("text") else []
    for number, button in enumerate(reply.get("buttons") or [], start=1):
        lines.append(f"  [{number}] {button.get('title', '')}")
    if reply.get("image"):
        lines.append(f"  (image: {reply['image']})")
    return "\n".join(lines)


async def send(
    session: aiohttp.ClientSession, url: str, sender: str, text: str
) -> list[dict[str, Any]]:
    """Send one message and return the bot's replies.

    Args:
        session: HTTP session.
        url: Base URL of the Rasa server.
        sender: Conversation id.
        text: The message.

    Returns:
        The bot's messages.
    """
    async with session.post(
        f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
    ) as response:
        response.raise_for_status()
        replies: list[dict[str, Any]] = await response.json()
        return replies


async def chat(url: str, sender: str) -> None:
    """Read messages from stdin and print the replies until an empty line."""
    print(f"与小客聊天（{url}，会话 {sender}）。空行或 Ctrl-D 结束。")
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        loop = asyncio.get_running_loop()
        buttons: list[dict[str, Any]] = []
        while True:
            line = await loop.run_in_executor(None, _read_line)
            if not line:
                return
            message = chosen_payload(line, buttons) or line
            try:
                replies = await send(session, url, sender, message)
            except aiohttp.ClientError as error:
                print(f"(no answer from {url}: {error}; is `make run` running?)")
                continue
            buttons = [b for reply in replies for b in reply.get("buttons") or []]
            for reply in replies:
                print(f"小客: {format_reply(reply)}")


def chosen_payload(line: str, buttons: list[dict[str, Any]]) -> str | None:
    """The payload of the button the shopper picked by number, if they did.

    Args:
        line: What the shopper typed (full-width digits allowed).
        buttons: The buttons of the bot's last message, in order.

    Returns:
        The button's payload, or ``None`` when ``line`` is not one of its numbers.
    """
    digits = line.strip().translate(_FULL_WIDTH_DIGITS)
    if digits.isdecimal() and 1 <= int(digits) <= len(buttons):
        payload = buttons[int(digits) - 1].get("payload")
        return str(payload) if payload else None
    return None


def _read_line() -> str:
    try:
        return input("你: ").strip()
    except EOFError:
        return ""


def main() -> None:
    """Parse arguments and start chatting."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005")
    parser.add_argument("--sender", default=f"terminal-{uuid.uuid4().hex[:8]}")
    args = parser.parse_args()
    try:
        asyncio.run(chat(args.url.rstrip("/"), args.sender))
    except KeyboardInterrupt:
        sys.exit(0)


if __name__ == "__main__":
    main()
