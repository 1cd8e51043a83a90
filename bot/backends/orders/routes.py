"""URL table of the order service."""

from __future__ import annotations

from aiohttp import web

from bot.backends.orders import views

CUSTOMER = "/v1/customers/{customer_id}"


def setup_routes(app: web.Application) -> None:
    """Register the order service's routes."""
    app.router.add_get(f"{CUSTOMER}/orders", views.list_orders)
    app.router.add_get(f"{CUSTOMER}/orders/{{order_number}}", views.get_order)
    app.router.add_get(
        f"{CUSTOMER}/orders/{{order_number}}/shipments", views.get_shipments
    )
    app.router.add_post(f"{CUSTOMER}/orders/{{order_number}}/urges", views.record_urge)
    app.router.add_get(f"{CUSTOMER}/orders/{{order_number}}/urges", views.list_urges)
    app.router.add_get(
        f"{CUSTOMER}/orders/{{order_number}}/items/{{sku}}/return-eligibility",
        views.check_return_eligibility,
    )
    app.router.add_get(
        f"{CUSTOMER}/serial-numbers/{{serial_number}}", views.find_serial
    )
    app.router.add_post(f"{CUSTOMER}/returns", views.create_return)
    app.router.add_get(f"{CUSTOMER}/returns", views.list_returns)
    app.router.add_get(f"{CUSTOMER}/returns/{{rma_number}}", views.get_return)
    # The catalogue is public product information: no customer in the path.
    app.router.add_get("/v1/products", views.search_products)
    app.router.add_get("/v1/products/{product_id}", views.get_product)
