"""URL table of the CRM service."""

from __future__ import annotations

from aiohttp import web

from bot.backends.crm import views

CUSTOMER = "/v1/customers/{customer_id}"


def setup_routes(app: web.Application) -> None:
    """Register the CRM service's routes."""
    app.router.add_get("/v1/identities/{channel}/{external_id}", views.find_by_identity)
    app.router.add_post("/v1/identities", views.bind_identity)
    app.router.add_get(CUSTOMER, views.get_customer)
    app.router.add_get(f"{CUSTOMER}/loyalty", views.loyalty_summary)
    app.router.add_get(f"{CUSTOMER}/loyalty/ledger", views.ledger)
    app.router.add_post(f"{CUSTOMER}/warranties", views.register_warranty)
    app.router.add_get(f"{CUSTOMER}/warranties", views.warranties_of)
    app.router.add_get("/v1/warranties/{serial_number}", views.warranty_by_serial)
    app.router.add_get("/v1/tiers", views.tiers)
    app.router.add_get(f"{CUSTOMER}/membership", views.membership)
    app.router.add_get(f"{CUSTOMER}/rewards", views.rewards)
    app.router.add_post(f"{CUSTOMER}/redemptions", views.redeem)
    app.router.add_get(f"{CUSTOMER}/orders/{{order_number}}/points", views.order_points)
