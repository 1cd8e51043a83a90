"""The product catalogue over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import delete, func, select

from bot.backends.common import db
from bot.backends.common.timeutil import fixed_clock
from bot.backends.orders import models
from bot.backends.orders.app import create_app
from bot.backends.seed.load import CATALOGUE_TABLES
from tests.support.backends import (
    AUTH,
    NOW,
    Backends,
    DatabaseUrls,
    prepare_database,
    settings,
)

AIR2 = {
    "product_id": "air2",
    "name": "小客 Air2 真无线蓝牙耳机",
    "category": "audio",
    "price_fen": 49900,
}


async def search(backends: Backends, **params: str) -> tuple[int, Any]:
    response = await backends.orders.get("/v1/products", params=params)
    return response.status, await response.json()


async def product(backends: Backends, product_id: str) -> tuple[int, Any]:
    response = await backends.orders.get(f"/v1/products/{product_id}")
    return response.status, await response.json()


async def test_a_shoppers_sentence_finds_the_product_it_names(
    backends: Backends,
) -> None:
    status, body = await search(backends, q="Air2耳机有白色的吗")
    assert status == 200
    assert body == {"products": [AIR2]}


@pytest.mark.parametrize("query", ["ａｉｒ２", "AIR 2", "air2"])
async def test_case_width_and_spaces_do_not_matter_to_search(
    backends: Backends, query: str
) -> None:
    status, body = await search(backends, q=query)
    assert status == 200
    assert body["products"][0] == AIR2


async def test_the_longest_alias_match_comes_first(backends: Backends) -> None:
    _, body = await search(backends, q="X1 Pro手机多少钱")
    assert [p["product_id"] for p in body["products"]] == ["x1-pro", "x1"]
    # The price listed is the cheapest variant's.
    assert body["products"][1]["price_fen"] == 399900


async def test_a_word_in_several_names_finds_each_of_them(backends: Backends) -> None:
    _, body = await search(backends, q="耳机")
    assert [p["product_id"] for p in body["products"]] == ["anc3", "air2"]


async def test_without_a_query_products_come_by_name_up_to_the_limit(
    backends: Backends,
) -> None:
    _, default = await search(backends)
    _, everything = await search(backends, limit="20")
    names = [p["name"] for p in everything["products"]]
    assert len(default["products"]) == 5
    assert len(names) == 13
    assert names == sorted(names)
    assert default["products"] == everything["products"][:5]


async def test_a_query_naming_no_product_finds_nothing(backends: Backends) -> None:
    assert await search(backends, q="有没有卖自行车的") == (200, {"products": []})


@pytest.mark.parametrize(
    "params",
    [{"q": ""}, {"q": " \t"}, {"q": "耳" * 101}, {"limit": "0"}, {"limit": "21"}],
    ids=["empty", "blank", "too-long", "limit-0", "limit-21"],
)
async def test_malformed_searches_are_refused(
    backends: Backends, params: dict[str, str]
) -> None:
    status, body = await search(backends, **params)
    assert status == 400
    assert body["error"]["code"] == "invalid_input"


async def test_a_product_has_variants_specs_faqs_and_its_running_promotion(
    backends: Backends,
) -> None:
    status, body = await product(backends, "air2")
    assert status == 200
    assert {key: body[key] for key in AIR2} == AIR2
    assert body["aliases"][:4] == ["Air2", "air2", "Air2耳机", "air2耳机"]
    # Seeded three days ago for seventeen days: it ends two weeks after NOW.
    assert body["promotion"] == {
        "label": "限时直降50元",
        "price_fen": 44900,
        "ends_on": "2024-12-04",
    }
    assert body["skus"] == [
        {"sku": "EB-AIR2-WHT", "variant": "白色", "price_fen": 49900, "stock": 120},
        {"sku": "EB-AIR2-BLK", "variant": "黑色", "price_fen": 49900, "stock": 64},
    ]
    assert body["specs"][1] == {
        "key": "waterproof",
        "name": "防水等级",
        "value": "IPX4 生活防水，防汗防溅，不能戴着游泳",
    }
    assert body["faqs"][0]["question"] == "能连接苹果手机吗"
    assert len(body["faqs"]) == 3


async def test_a_sold_out_variant_is_listed_with_stock_zero(
    backends: Backends,
) -> None:
    _, body = await product(backends, "x1")
    stock = {sku["variant"]: sku["stock"] for sku in body["skus"]}
    assert stock == {"曜石黑 / 256GB": 86, "云白 / 256GB": 0, "曜石黑 / 512GB": 35}


async def test_a_promotion_that_has_ended_is_not_offered(backends: Backends) -> None:
    _, body = await product(backends, "anc3")  # its 双十一 price ended yesterday
    assert body["promotion"] is None


async def test_product_ids_are_taken_in_any_case(backends: Backends) -> None:
    status, body = await product(backends, "X1-PRO")
    assert status == 200
    assert body["product_id"] == "x1-pro"


@pytest.mark.parametrize(
    ("product_id", "status", "code"),
    [("no-such-product", 404, "product_not_found"), ("air_2", 400, "invalid_input")],
)
async def test_unknown_and_malformed_products(
    backends: Backends, product_id: str, status: int, code: str
) -> None:
    got, body = await product(backends, product_id)
    assert got == status
    assert body["error"]["code"] == code


@pytest.mark.parametrize("path", ["/v1/products", "/v1/products/air2"])
async def test_public_product_information_still_needs_the_token(
    backends: Backends, path: str
) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(backends.orders.make_url(path)) as response:
            assert response.status == 401


async def test_a_product_without_skus_is_not_on_sale(
    backends: Backends, database_urls: DatabaseUrls
) -> None:
    engine = db.create_engine(database_urls.orders)
    try:
        async with db.session_factory(engine)() as session, session.begin():
            session.add(
                models.Product(
                    product_id="air3",
                    name="小客 Air3 真无线蓝牙耳机",
                    category="audio",
                    aliases=[models.ProductAlias(alias="Air3")],
                )
            )
    finally:
        await engine.dispose()
    assert await search(backends, q="Air3") == (200, {"products": []})
    assert (await product(backends, "air3"))[0] == 404


async def test_promotions_follow_the_services_clock(
    database_urls: DatabaseUrls,
) -> None:
    await prepare_database("orders", database_urls.orders)
    app_settings = settings("orders", database_urls.orders)
    for days_later, expected in [(14, 44900), (15, None)]:
        clock = fixed_clock(NOW + timedelta(days=days_later))
        app = create_app(app_settings, clock=clock)
        async with TestClient(TestServer(app), headers=AUTH) as client:
            body = await (await client.get("/v1/products/air2")).json()
        offered = body["promotion"] and body["promotion"]["price_fen"]
        assert offered == expected, days_later


async def test_a_database_seeded_before_the_catalogue_gets_it_on_start(
    database_urls: DatabaseUrls,
) -> None:
    await prepare_database("orders", database_urls.orders)
    engine = db.create_engine(database_urls.orders)
    try:
        async with db.session_factory(engine)() as session, session.begin():
            for table in CATALOGUE_TABLES:
                await session.execute(delete(table))
            orders = await session.execute(select(func.count(models.Order.id)))
            order_count = orders.scalar_one()
        app_settings = replace(
            settings("orders", database_urls.orders), seed_when_empty=True
        )
        app = create_app(app_settings, clock=fixed_clock(NOW))
        async with TestClient(TestServer(app), headers=AUTH) as client:
            body = await (await client.get("/v1/products/air2")).json()
        async with engine.connect() as connection:
            after = await connection.execute(select(func.count(models.Order.id)))
            assert after.scalar_one() == order_count
    finally:
        await engine.dispose()
    assert body["product_id"] == "air2"
