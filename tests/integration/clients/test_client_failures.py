"""Client behaviour on timeouts, 5xx and refusals (faked with aioresponses)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from aioresponses import aioresponses

from actions.clients.crm import CrmClient
from actions.clients.errors import BackendUnavailable, NotFound, Rejected
from actions.clients.http import ClientSettings, close_session, get_session
from actions.clients.orders import OrdersClient

BASE = "http://orders.test"
LIST_URL = re.compile(r"^http://orders\.test/v1/customers/C100001/orders.*$")
ORDERS: dict[str, list[object]] = {"orders": []}
SETTINGS = ClientSettings(
    orders_url=BASE, crm_url="http://crm.test", token="t", timeout=0.2, backoff=0.01
)


@pytest.fixture(autouse=True)
async def fresh_session() -> AsyncIterator[None]:
    yield
    await close_session()


async def test_get_retries_after_5xx_then_succeeds() -> None:
    with aioresponses() as mocked:
        mocked.get(LIST_URL, status=503)
        mocked.get(LIST_URL, status=502, body="<html>bad gateway</html>")
        mocked.get(LIST_URL, payload=ORDERS)
        assert await OrdersClient(SETTINGS).list_orders("C100001") == []
        assert sum(len(calls) for calls in mocked.requests.values()) == 3


async def test_get_gives_up_after_the_configured_retries() -> None:
    with aioresponses() as mocked:
        for _ in range(3):
            mocked.get(LIST_URL, status=500, payload={"error": {"code": "x"}})
        with pytest.raises(BackendUnavailable) as caught:
            await OrdersClient(SETTINGS).list_orders("C100001")
        assert caught.value.status == 500
        assert sum(len(calls) for calls in mocked.requests.values()) == 3


async def test_timeout_becomes_backend_unavailable() -> None:
    with aioresponses() as mocked:
        mocked.get(LIST_URL, exception=asyncio.TimeoutError(), repeat=True)
        with pytest.raises(BackendUnavailable, match="timed out"):
            await OrdersClient(SETTINGS).list_orders("C100001")


async def test_post_is_never_retried() -> None:
    with aioresponses() as mocked:
        mocked.post(f"{BASE}/v1/customers/C100001/returns", status=503, repeat=True)
        with pytest.raises(BackendUnavailable):
            await OrdersClient(SETTINGS).create_return(
                "C100001",
                "XK202411110004",
                [{"sku": "SK-SUN-50", "quantity": 1}],
                "no_reason",
                idempotency_key="key-00000001",
            )
        assert sum(len(calls) for calls in mocked.requests.values()) == 1


async def test_urge_is_never_retried() -> None:
    # Every POST records another urge: a retry after a lost answer would double it.
    with aioresponses() as mocked:
        mocked.post(
            f"{BASE}/v1/customers/C100001/orders/XK202411110002/urges",
            exception=asyncio.TimeoutError(),
            repeat=True,
        )
        with pytest.raises(BackendUnavailable, match="timed out"):
            await OrdersClient(SETTINGS).record_urge(
                "C100001", "XK202411110002", "wechat"
            )
        assert sum(len(calls) for calls in mocked.requests.values()) == 1


async def test_not_found_and_rejected_carry_the_service_code() -> None:
    with aioresponses() as mocked:
        mocked.get(
            "http://crm.test/v1/warranties/SN0000000000",
            status=404,
            payload={"error": {"code": "warranty_not_registered", "message": "no"}},
        )
        mocked.post(
            "http://crm.test/v1/identities",
            status=422,
            payload={"error": {"code": "verification_failed", "message": "nope"}},
        )
        crm = CrmClient(SETTINGS)
        with pytest.raises(NotFound) as missing:
            await crm.warranty_by_serial("SN0000000000")
        with pytest.raises(Rejected) as refused:
            await crm.bind_identity("wechat", "x", "13800138000", "XK202411110001")
    assert missing.value.code == "warranty_not_registered"
    assert (refused.value.code, refused.value.message) == (
        "verification_failed",
        "nope",
    )


async def test_connection_refused_is_unavailable() -> None:
    settings = ClientSettings(orders_url="http://127.0.0.1:1", retries=0)
    with pytest.raises(BackendUnavailable):
        await OrdersClient(settings).list_orders("C100001")


async def test_one_shared_session_per_loop() -> None:
    first = await get_session()
    assert await get_session() is first
    await close_session()
    assert first.closed
    assert await get_session() is not first


def test_settings_come_from_the_environment() -> None:
    settings = ClientSettings.from_env(
        {"ORDERS_URL": "http://o:1", "BACKEND_TIMEOUT": "0.5", "BACKEND_RETRIES": "0"}
    )
    assert (settings.orders_url, settings.crm_url) == (
        "http://o:1",
        "http://127.0.0.1:8002",
    )
    assert (settings.timeout, settings.retries) == (0.5, 0)
