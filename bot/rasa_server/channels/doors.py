"""The REST-style input channels and who may use them.

Two channels take ``{"sender": …, "message": …}`` over HTTP, as Rasa's REST
channel does, but neither lets the client choose whose conversation it writes
to: the conversation id is always ``<channel>:<sender>``
(:mod:`bot.platform.conversation_ids`), the input channel is the channel's own
name whatever the body says, and client metadata is dropped.

- ``rest`` (``/webhooks/rest/webhook``): for developers and trusted back-ends.
  With ``REST_CHANNEL_TOKEN`` set it needs ``Authorization: Bearer <token>``;
  without one it is open to loopback clients only in the embedded profile
  (``make chat``, the README's curl example) and off in the production profile.
- ``web`` (``/webhooks/web/webhook``): the console's web chat, which issues the
  shopper's id in a signed cookie and calls this with ``RASA_TOKEN``. Browsers
  never reach it directly.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.platform.conversation_ids import WEB, conversation_id

logger = logging.getLogger(__name__)

#: A sender id a client may give: what the CRM contract takes as a channel's own
#: id (``openapi.yaml``: ``ExternalId``); the channel prefix comes on top.
SENDER = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class DoorPolicy:
    """Who may post to a channel's webhook.

    Attributes:
        token: The bearer token callers must present (``None``: no token).
        loopback_only: Without a token, serve loopback clients only.
        off: Refuse every call (404), e.g. REST in the production profile.
    """

    token: str | None = None
    loopback_only: bool = False
    off: bool = False

    def refusal(self, request: Request) -> HTTPResponse | None:
        """The response refusing ``request``, or ``None`` to let it in."""
        if self.off:
            return _error(404, "channel_off", "this channel is off")
        if self.token is not None:
            given = request.headers.get("authorization", "")
            expected = f"Bearer {self.token}"
            if not hmac.compare_digest(given.encode(), expected.encode()):
                return _error(401, "unauthorized", "a valid bearer token is required")
            return None
        if self.loopback_only and not _is_loopback(request.ip):
            return _error(403, "forbidden", "open to loopback clients only")
        return None


def rest_policy(environ: Mapping[str, str]) -> DoorPolicy:
    """The REST channel's policy from the environment (see the module doc)."""
    token = environ.get("REST_CHANNEL_TOKEN") or None
    if token is not None:
        logger.info("REST channel: bearer token required (REST_CHANNEL_TOKEN)")
        return DoorPolicy(token=token)
    if environ.get("XIAOKE_PROFILE", "embedded") == "production":
        logger.info("REST channel off (production profile without REST_CHANNEL_TOKEN)")
        return DoorPolicy(off=True)
    logger.warning(
        "REST channel open without a token to loopback clients "
        "(embedded profile; set REST_CHANNEL_TOKEN to require one)"
    )
    return DoorPolicy(loopback_only=True)


def web_policy(environ: Mapping[str, str]) -> DoorPolicy:
    """The web chat channel's policy: ``RASA_TOKEN`` (the console has it) or off."""
    token = environ.get("RASA_TOKEN") or None
    if token is None:
        logger.warning("web chat channel off: RASA_TOKEN is not set")
        return DoorPolicy(off=True)
    return DoorPolicy(token=token)


class ScopedRestInput(RestInput):
    """Rasa's REST channel writing only to ``<name()>:<sender>`` conversations."""

    def door_policy(self, environ: Mapping[str, str]) -> DoorPolicy:
        """Who may post here (read once, when the server builds its routes)."""
        return rest_policy(environ)

    async def _extract_sender(self, req: Request) -> str | None:
        return conversation_id(self.name(), str(req.json["sender"]))

    def _extract_input_channel(self, req: Request) -> str:
        return self.name()

    def get_metadata(self, request: Request) -> dict[str, Any] | None:
        """No client metadata: it would be stored as if the channel said it."""
        return None

    def blueprint(
        self, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> Blueprint:
        """Rasa's REST routes behind the door policy and a body check."""
        webhook = super().blueprint(on_new_message)
        policy = self.door_policy(os.environ)

        async def guard_door(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            refused = policy.refusal(request)
            if refused is not None:
                return refused
            return _body_error(request)

        webhook.middleware("request")(guard_door)
        return webhook


class WebChatInput(ScopedRestInput):
    """The console's web chat (``web``): ``web:<id>`` conversations, ``RASA_TOKEN``."""

    @classmethod
    def name(cls) -> str:
        """The channel's name (and conversation id prefix)."""
        return WEB

    def door_policy(self, environ: Mapping[str, str]) -> DoorPolicy:
        """Only the console, with the Rasa server's token."""
        return web_policy(environ)


def _body_error(request: Request) -> HTTPResponse | None:
    try:
        body = request.json
    except Exception:  # Sanic raises its own error for a body that isn't JSON
        body = None
    if not isinstance(body, dict):
        return _error(400, "invalid_body", "the body must be a JSON object")
    sender, message = body.get("sender"), body.get("message")
    if not isinstance(sender, str) or not SENDER.fullmatch(sender):
        return _error(
            400, "invalid_sender", "sender must be 1-64 letters, digits, '_' or '-'"
        )
    if not isinstance(message, str):
        return _error(400, "invalid_message", "message must be a string")
    return None


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _error(status: int, code: str, message: str) -> HTTPResponse:
    return response.json({"error": {"code": code, "message": message}}, status=status)
