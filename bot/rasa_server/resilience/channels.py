"""The REST, web chat, WeChat and WeCom kf input channels, with guarded turns.

Registered in ``credentials.yml`` (``/webhooks/rest/webhook``,
``/webhooks/web/webhook``, ``/webhooks/wechat/webhook``,
``/webhooks/wecom/webhook``); each is the channel of
:mod:`bot.rasa_server.channels` with :mod:`bot.rasa_server.resilience.guard`
around its handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from sanic import Blueprint, Sanic

from bot.rasa_server.channels.doors import ScopedRestInput
from bot.rasa_server.channels.doors import WebChatInput as PlainWebChatInput
from bot.rasa_server.channels.wechat import WeChatInput as PlainWeChatInput
from bot.rasa_server.channels.wecom_kf import WeComKfInput as PlainWeComKfInput
from bot.rasa_server.resilience.guard import guard_turns


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


class RestInput(ScopedRestInput):
    """The REST channel (``rest``): a failed turn ends with a Chinese apology."""

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The REST routes around the guarded handler."""
        return _guarded_blueprint(super().blueprint, on_new_message)


class WebChatInput(PlainWebChatInput):
    """The console's web chat channel (``web``), guarded the same way."""

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The web chat routes around the guarded handler."""
        return _guarded_blueprint(super().blueprint, on_new_message)


class WeChatInput(PlainWeChatInput):
    """The WeChat channel (``wechat``): a failed turn ends with a Chinese apology."""

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The WeChat routes around the guarded handler."""
        return _guarded_blueprint(super().blueprint, on_new_message)


class WeComKfInput(PlainWeComKfInput):
    """The WeCom kf channel (``wecom``): a failed turn ends with a Chinese apology."""

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """The WeCom kf routes around the guarded handler."""
        return _guarded_blueprint(super().blueprint, on_new_message)
