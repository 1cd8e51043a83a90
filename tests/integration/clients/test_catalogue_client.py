"""The catalogue client against the real order service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from actions.clients.catalogue import CatalogueClient
from actions.clients.errors import NotFound
from actions.clients.http import ClientSettings, close_session
from actions.common import catalogue_client, reset_clients
from tests.support.backends import TOKEN, Backends


@pytest.fixture
async def catalogue(backends: Backends) -> AsyncIterator[CatalogueClient]:
    yield CatalogueClient(
        ClientSettings(orders_url=backends.orders_url, token=TOKEN, retries=0)
    )
    await close_session()


async def test_a_sentence_finds_the_product_then_its_details(
    catalogue: CatalogueClient,
) -> None:
    found = await catalogue.search_products("Air2耳机有白色的吗")
    assert found == [
        {
            "product_id": "air2",
            "name": "小客 Air2 真无线蓝牙耳机",
            "category": "audio",
            "price_fen": 49900,
        }
    ]
    product = await catalogue.get_product(found[0]["product_id"])
    white = [sku for sku in product["skus"] if sku["variant"] == "白色"]
    assert white == [
        {"sku": "EB-AIR2-WHT", "variant": "白色", "price_fen": 49900, "stock": 120}
    ]
    assert product["promotion"] == {
        "label": "限时直降50元",
        "price_fen": 44900,
        "ends_on": "2024-12-04",
    }
    specs = {spec["key"]: spec["value"] for spec in product["specs"]}
    assert specs["waterproof"].startswith("IPX4")


async def test_a_blank_query_lists_products_by_name(
    catalogue: CatalogueClient,
) -> None:
    listed = await catalogue.search_products(" \u3000", limit=20)
    names = [product["name"] for product in listed]
    assert len(names) == 13
    assert names == sorted(names)
    assert len(await catalogue.search_products("")) == 5


async def test_a_long_message_is_searched_by_its_beginning(
    catalogue: CatalogueClient,
) -> None:
    message = "ANC3耳机" + "，请问" * 60
    found = await catalogue.search_products(message, limit=1)
    assert [product["product_id"] for product in found] == ["anc3"]


async def test_an_unknown_product_is_not_found(catalogue: CatalogueClient) -> None:
    with pytest.raises(NotFound) as caught:
        await catalogue.get_product("no-such-product")
    assert (caught.value.service, caught.value.code) == (
        "catalogue",
        "product_not_found",
    )


async def test_the_accessor_reads_the_order_service_from_the_environment(
    backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERS_URL", backends.orders_url)
    monkeypatch.setenv("BACKEND_API_TOKEN", TOKEN)
    reset_clients()
    try:
        client = catalogue_client()
        assert catalogue_client() is client
        assert client.base_url == backends.orders_url
        assert (await client.get_product("x1"))["product_id"] == "x1"
        reset_clients()
        assert catalogue_client() is not client
    finally:
        await close_session()
        reset_clients()
