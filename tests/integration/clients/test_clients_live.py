"""The typed clients against the real order and CRM apps."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from actions.clients.crm import CrmClient
from actions.clients.errors import BackendUnauthorized, NotFound, Rejected
from actions.clients.http import ClientSettings, close_session
from actions.clients.orders import OrdersClient, new_idempotency_key
from tests.support.backends import TOKEN, Backends
from tests.support.counting_proxy import CountingProxy


@pytest.fixture
async def settings(backends: Backends) -> AsyncIterator[ClientSettings]:
    yield ClientSettings(
        orders_url=backends.orders_url,
        crm_url=backends.crm_url,
        token=TOKEN,
        timeout=5.0,
        retries=0,
    )
    await close_session()


async def test_identity_then_orders_then_tracking(settings: ClientSettings) -> None:
    crm, orders = CrmClient(settings), OrdersClient(settings)
    customer = await crm.find_customer_by_identity("wechat", "demo-openid-001")
    recent = await orders.list_orders(customer["customer_id"], limit=5)
    shipped = [o for o in recent if o["status"] == "shipped"]
    tracking = await orders.get_shipments(
        customer["customer_id"], shipped[0]["order_number"]
    )
    assert customer["masked_phone"] == "138****8000"
    assert tracking["shipments"][0]["tracking_number"] == "SF123456789012"
    assert tracking["shipments"][0]["events"]


async def test_return_flow_is_idempotent(settings: ClientSettings) -> None:
    orders = OrdersClient(settings)
    eligibility = await orders.check_return_eligibility(
        "C100001", "XK202411110004", "EB-AIR2-WHT"
    )
    assert eligibility["eligible"] is True
    key = new_idempotency_key()
    first = await orders.create_return(
        "C100001",
        "XK202411110004",
        [{"sku": "EB-AIR2-WHT", "quantity": 1}],
        "no_reason",
        idempotency_key=key,
    )
    again = await orders.create_return(
        "C100001",
        "XK202411110004",
        [{"sku": "EB-AIR2-WHT", "quantity": 1}],
        "no_reason",
        idempotency_key=key,
    )
    assert first["rma_number"] == again["rma_number"]
    fetched = await orders.get_return("C100001", first["rma_number"])
    assert fetched == first
    assert (await orders.list_returns("C100001"))[0]["rma_number"] == first[
        "rma_number"
    ]


async def test_rule_refusal_is_rejected_with_the_service_code(
    settings: ClientSettings,
) -> None:
    with pytest.raises(Rejected) as caught:
        await OrdersClient(settings).create_return(
            "C100001",
            "XK202411110007",
            [{"sku": "FF-CHERRY-2KG", "quantity": 1}],
            "no_reason",
            idempotency_key=new_idempotency_key(),
        )
    assert (caught.value.code, caught.value.status) == ("category_excluded", 422)


async def test_unknown_order_is_not_found(settings: ClientSettings) -> None:
    with pytest.raises(NotFound) as caught:
        await OrdersClient(settings).get_order("C100001", "XK209901010001")
    assert caught.value.code == "order_not_found"


async def test_urges_on_a_paid_order_are_recorded_and_counted(
    settings: ClientSettings,
) -> None:
    orders = OrdersClient(settings)
    first = await orders.record_urge("C100001", "XK202411110002", "wechat")
    second = await orders.record_urge("C100001", "XK202411110002", "web")
    assert first == {
        "order_number": "XK202411110002",
        "urge_count": 1,
        "latest_urge_at": "2024-11-20T10:00:00+08:00",
    }
    assert second["urge_count"] == 2
    history = await orders.list_urges("C100001", "XK202411110002", limit=1)
    assert history["urge_count"] == 2
    assert history["urges"] == [
        {"channel": "web", "created_at": "2024-11-20T10:00:00+08:00"}
    ]


async def test_urge_refusals_raise_the_typed_errors(settings: ClientSettings) -> None:
    orders = OrdersClient(settings)
    with pytest.raises(Rejected) as refused:
        await orders.record_urge("C100001", "XK202411110003", "wechat")
    assert (refused.value.code, refused.value.status) == (
        "order_not_awaiting_shipment",
        422,
    )
    with pytest.raises(NotFound) as missing:
        await orders.record_urge("C100002", "XK202411110002", "wechat")
    assert missing.value.code == "order_not_found"
    assert (await orders.list_urges("C100001", "XK202411110002"))["urge_count"] == 0


async def test_bind_then_warranty_then_loyalty(settings: ClientSettings) -> None:
    crm, orders = CrmClient(settings), OrdersClient(settings)
    with pytest.raises(NotFound):
        await crm.find_customer_by_identity("wechat", "client-openid-1")
    customer = await crm.bind_identity(
        "wechat", "client-openid-1", "13700001111", "XK202411110012"
    )
    sale = await orders.find_serial(customer["customer_id"], "SN2C6V8N4X1L")
    assert sale["purchase_date"] is not None
    warranty = await crm.register_warranty(
        customer["customer_id"],
        serial_number=sale["serial_number"],
        sku=sale["sku"],
        product_name=sale["product_name"],
        purchase_date=sale["purchase_date"],
        standard_months=sale["warranty_months"],
        order_number=sale["order_number"],
    )
    assert warranty["status"] == "active"
    assert (await crm.warranty_by_serial("SN2C6V8N4X1L"))["customer_id"] == "C100003"
    assert len(await crm.warranties_of("C100003")) == 1
    loyalty = await crm.loyalty_summary("C100003")
    assert (loyalty["tier"], loyalty["expiring_points"]) == ("silver", 500)
    assert (await crm.ledger("C100003", limit=1))[0]["kind"] == "spend"
    with pytest.raises(Rejected) as caught:
        await crm.bind_identity(
            "wechat", "client-openid-2", "13700001111", "XK202411110004"
        )
    assert caught.value.code == "verification_failed"


@pytest.fixture
async def counted_orders(backends: Backends) -> AsyncIterator[CountingProxy]:
    """The real order service behind a proxy that counts what reaches it."""
    async with CountingProxy(backends.orders_url) as proxy:
        yield proxy


async def test_wrong_token_is_unauthorized_not_retried(
    counted_orders: CountingProxy,
) -> None:
    bad = ClientSettings(
        orders_url=counted_orders.url, token="wrong", retries=3, backoff=0.01
    )
    with pytest.raises(BackendUnauthorized):
        await OrdersClient(bad).list_orders("C100001")
    # The order service saw the request, refused it (401), and saw it once.
    assert counted_orders.statuses == [401]
    await close_session()


async def test_an_unavailable_read_is_retried_as_configured(
    counted_orders: CountingProxy,
) -> None:
    # The counter's own check: the same proxy does see every retry.
    counted_orders.fail_first = 2
    settings = ClientSettings(
        orders_url=counted_orders.url, token=TOKEN, retries=3, backoff=0.01
    )
    assert await OrdersClient(settings).list_orders("C100001", limit=1)
    assert counted_orders.statuses == [503, 503, 200]
    await close_session()
