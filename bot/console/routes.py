"""URL map of the console."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.console import (
    analytics_views,
    canned_views,
    conversation_views,
    internal_views,
    login_views,
    media_views,
    presence_views,
    queue_views,
    review_views,
    search_views,
    supervisor_views,
    webchat,
    workbench_views,
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
    app.router.add_post("/handoffs/{handoff_id}/image", media_views.send_image)
    app.router.add_get(
        "/handoffs/{handoff_id}/media/{key}", media_views.conversation_image
    )
    app.router.add_post("/handoffs/{handoff_id}/handback", conversation_views.hand_back)
    app.router.add_post("/handoffs/{handoff_id}/close", conversation_views.close)
    app.router.add_post("/handoffs/{handoff_id}/notes", workbench_views.add_note)
    app.router.add_post("/handoffs/{handoff_id}/tags", workbench_views.add_tag)
    app.router.add_post(
        "/handoffs/{handoff_id}/tags/delete", workbench_views.remove_tag
    )
    app.router.add_post("/handoffs/{handoff_id}/transfer", workbench_views.transfer)
    app.router.add_get("/api/canned", workbench_views.canned_search)
    app.router.add_get(
        "/api/handoffs/{handoff_id}/canned/{reply_id}", workbench_views.canned_filled
    )
    app.router.add_post("/api/presence", presence_views.set_status)
    app.router.add_post("/api/presence/heartbeat", presence_views.heartbeat)
    app.router.add_get("/search", search_views.search_page)
    app.router.add_get("/canned", canned_views.canned_page)
    app.router.add_post("/canned", canned_views.add_canned)
    app.router.add_post("/canned/{reply_id}/delete", canned_views.delete_canned)
    app.router.add_get("/supervisor", supervisor_views.supervisor_page)
    app.router.add_post("/supervisor/teams", supervisor_views.save_team)
    app.router.add_post(
        "/supervisor/teams/{team_id}/delete", supervisor_views.delete_team
    )
    app.router.add_post("/supervisor/staff/{username}/role", supervisor_views.set_role)
    app.router.add_post(
        "/supervisor/handoffs/{handoff_id}/transfer", workbench_views.transfer
    )
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
    app.router.add_get(
        "/api/handoffs/{handoff_id}/transcript", conversation_views.transcript_page
    )
    app.router.add_get(
        "/api/handoffs/{handoff_id}/timers", conversation_views.conversation_timers
    )
    app.router.add_post("/internal/handoffs", internal_views.internal_handoff)
    app.router.add_post("/internal/privacy/erase", internal_views.internal_erase)
    app.router.add_get("/chat", webchat.chat_page)
    app.router.add_post("/chat/api/send", webchat.chat_send)
    app.router.add_get("/chat/api/messages", webchat.chat_messages)
    app.router.add_post("/chat/api/image", webchat.chat_image)
    app.router.add_get("/chat/api/media/{key}", webchat.chat_picture)
    app.router.add_static("/static/", STATIC, name="static")
