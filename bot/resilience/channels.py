"""The REST and WeChat input channels, with guarded turns (:mod:`bot.resilience.guard`).

Registered in ``credentials.yml`` in place of ``rest:`` and the plain WeChat
channel; names and URLs are unchanged (``/webhooks/rest/webhook``,
``/webhooks/wechat/webhook``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, Sanic

from bot.channels.wechat.channel import WeChatInput as PlainWeChatInput
from bot.resilience.guard import guard_turns


def _guarded_blueprint(
    build: Callable[[Callable[[UserMessage], Awaitable[Any]]], Blueprint],
    on_new_message: Callable[[UserMessage], Awaitable[Any]],
) -> Blueprint:
    """``build(guarded on_new_message)``; the agent is found once the server starts."""
    server: dict[str, Sanic] = {}

    def agent() -> Agent | None:
        app = server.get("app")
        return getattr(app.ctx, "agent", None) if app is not None else None

    blueprint = build(guard_turns(on_new_message, agent))

    async def remember(app: Sanic, *_: Any) -> None:
        server["app"] = app

    blueprint.listener("before_server_start")(remember)
    return blueprint


class RestInput(RasaRestInput):
    """Rasa's REST channel (``rest``): a failed turn ends with a Chinese apology."""

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[None]]
    ) -> Blueprint:
        """Rasa's REST routes around the guarded handler."""
        return _guarded_blueprint(super().blueprint, on_new_message)


class WeChatInput(PlainWeChatInput):
    """The WeChat channel (``wechat``): a failed turn ends with a Chinese apology."""

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The WeChat routes around the guarded handler."""
        return _guarded_blueprint(super().blueprint, on_new_message)
