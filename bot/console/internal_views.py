"""The action server's API (bearer token) and the liveness probe."""

from __future__ import annotations

import logging
from dataclasses import asdict

from aiohttp import web

from bot.console.erasure import NoConversationStore
from bot.console.errors import ConsoleError, read_json
from bot.console.keys import SERVICE

logger = logging.getLogger(__name__)


async def internal_handoff(request: web.Request) -> web.Response:
    """Queue a conversation handed off by ``action_handoff``."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise ConsoleError(400, "invalid_body", "body must be an object")
    conversation_id = body.get("conversation_id")
    summary = body.get("summary") or {}
    if not isinstance(conversation_id, str) or not conversation_id:
        raise ConsoleError(400, "invalid_body", "conversation_id is required")
    if not isinstance(summary, dict):
        raise ConsoleError(400, "invalid_body", "summary must be an object")
    customer_id = body.get("customer_id")
    ticket = await request.app[SERVICE].request_handoff(
        conversation_id=conversation_id[:255],
        channel=str(body.get("channel") or "web"),
        reason=str(body.get("reason") or "shopper_request")[:255],
        summary=summary,
        customer_id=str(customer_id)[:64] if customer_id else None,
    )
    return web.json_response(ticket.as_json(), status=201)


async def internal_erase(request: web.Request) -> web.Response:
    """``POST /internal/privacy/erase``: the counts of what was emptied."""
    body = await read_json(request)
    conversation_id = body.get("conversation_id") if isinstance(body, dict) else None
    if not isinstance(conversation_id, str) or not 0 < len(conversation_id) <= 255:
        raise ConsoleError(400, "invalid_body", "conversation_id is required")
    try:
        erasure = await request.app[SERVICE].erase(conversation_id)
    except NoConversationStore:
        # Not a passing failure: asking again will not help.
        raise ConsoleError(
            409, "no_conversation_store", "conversations are kept in memory only"
        ) from None
    # 200 even when a store failed: the body says which were emptied and which
    # were not, and the shopper is told so (actions/privacy.py).
    logger.info("conversation erased on the shopper's request: %s", asdict(erasure))
    return web.json_response(asdict(erasure))


async def health(request: web.Request) -> web.Response:
    """Liveness."""
    return web.json_response({"status": "ok"})
