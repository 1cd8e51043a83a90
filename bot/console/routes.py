"""URL map of the console."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.console import (
    analytics_views,
    conversation_views,
    internal_views,
    login_views,
    queue_views,
    review_views,
    webchat,
)

STATIC = Path(__file__).resolve().parent / "static"


def setup_routes(app: web.Application) -> None:
    """Register every route (access rules: ``auth.required_access``)."""
    app.router.add_get("/health", internal_views.health)
    app.router.add_get("/login", login_views.login_page)
    app.router.add_post("/login", login_views.login)
    app.router.add_post("/logout", login_views.logout)
    app.router.add_get("/", queue_views.index)
    app.router.add_get("/queue", queue_views.queue_page)
    app.router.add_get("/api/queue", queue_views.queue_json)
    app.router.add_get("/api/queue/stream", queue_views.queue_stream)
    app.router.add_post("/handoffs/{handoff_id}/claim", queue_views.claim)
    app.router.add_post("/handoffs/{handoff_id}/reply", conversation_views.reply)
    app.router.add_post("/handoffs/{handoff_id}/handback", conversation_views.hand_back)
    app.router.add_post("/handoffs/{handoff_id}/close", conversation_views.close)
    app.router.add_get("/analytics", analytics_views.analytics_page)
    app.router.add_get("/analytics/export.csv", analytics_views.analytics_export)
    app.router.add_get("/review", review_views.review_page)
    app.router.add_post("/review/label", review_views.label_message)
    app.router.add_post("/review/score", review_views.score_model)
    app.router.add_get(
        "/conversations/{handoff_id}", conversation_views.conversation_page
    )
    app.router.add_get(
        "/api/handoffs/{handoff_id}/stream", conversation_views.conversation_stream
    )
    app.router.add_post("/internal/handoffs", internal_views.internal_handoff)
    app.router.add_post("/internal/privacy/erase", internal_views.internal_erase)
    app.router.add_get("/chat", webchat.chat_page)
    app.router.add_post("/chat/api/send", webchat.chat_send)
    app.router.add_get("/chat/api/messages", webchat.chat_messages)
    app.router.add_static("/static/", STATIC, name="static")
