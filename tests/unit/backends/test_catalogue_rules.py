"""Catalogue rules: how shoppers' words find products, and which promotion runs."""

from __future__ import annotations

import re
from datetime import date

import pytest
import yaml

from bot.backends.common import validation as v
from bot.backends.common.errors import InvalidInput
from bot.backends.orders.catalogue_rules import (
    PromotionTerms,
    SearchEntry,
    from_price,
    match_strength,
    normalise,
    running_promotion,
    search,
)
from bot.backends.orders.schemas import parse_product_query
from tests.support.contract import OPENAPI_PATH

CATALOGUE = (
    SearchEntry("x1", "小客 X1 智能手机", ("X1", "X1手机")),
    SearchEntry("x1-pro", "小客 X1 Pro 智能手机", ("X1 Pro", "x1pro手机")),
    SearchEntry("air2", "小客 Air2 真无线蓝牙耳机", ("Air2", "air2耳机")),
    SearchEntry("anc3", "小客 ANC3 头戴式降噪耳机", ("ANC3",)),
    SearchEntry("kettle", "小客 1.7L 电热水壶", ("热水壶", "壶")),
)


def find(query: str | None, limit: int = 5) -> list[str]:
    return search(query, CATALOGUE, limit)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ＡＩＲ２耳机", "air2耳机"),  # full-width letters and digits
        ("Air 2\t耳机", "air2耳机"),  # spaces and tabs anywhere
        ("X1\u3000PRO", "x1pro"),  # the ideographic space too
        ("ＸＫ！", "xk!"),  # full-width punctuation folds as well
    ],
)
def test_normalise_folds_width_case_and_spaces(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_a_sentence_finds_the_alias_it_contains() -> None:
    assert find("Air2耳机有白色的吗") == ["air2"]


def test_full_width_and_spaced_queries_find_the_same_product() -> None:
    assert find("ＡＮＣ３") == find("anc 3") == ["anc3"]


def test_longest_match_comes_first() -> None:
    # "x1" names the X1 and "x1pro手机" the X1 Pro: the longer alias wins.
    assert find("x1pro手机多少钱") == ["x1-pro", "x1"]


def test_an_alias_equal_to_the_query_beats_a_name_containing_it() -> None:
    # Both names contain "x1"; only the X1 is called exactly that.
    assert find("x1") == ["x1", "x1-pro"]


def test_a_word_inside_several_names_finds_them_all_by_name() -> None:
    assert find("耳机") == ["anc3", "air2"]


def test_a_one_character_alias_does_not_match_inside_a_sentence() -> None:
    assert match_strength("这个壶多少钱", ["壶"]) == (0, False)
    assert find("这个壶多少钱") == []
    assert find("壶") == ["kettle"]  # as the whole query it still does


def test_without_a_query_every_product_comes_by_name_up_to_the_limit() -> None:
    # Code point order, the same on every database ("ANC3" before "Air2").
    assert find(None) == ["kettle", "anc3", "air2", "x1-pro", "x1"]
    assert find(None, limit=2) == ["kettle", "anc3"]


def test_limit_cuts_the_matches() -> None:
    assert find("小客", limit=3) == ["kettle", "anc3", "air2"]


@pytest.mark.parametrize("query", ["\u3000", "\u00a0\u3000", "不认识的商品"])
def test_a_query_naming_nothing_finds_nothing(query: str) -> None:
    assert find(query) == []


def test_a_products_price_is_its_cheapest_skus() -> None:
    assert from_price([449900, 399900, 399900]) == 399900
    with pytest.raises(ValueError):
        from_price([])


def promotion(label: str, price: int, start: date, end: date) -> PromotionTerms:
    return PromotionTerms(label, price, start, end)


TODAY = date(2024, 11, 20)


def test_a_promotion_runs_from_its_first_through_its_last_day() -> None:
    offer = promotion("限时直降", 44900, date(2024, 11, 18), TODAY)
    assert running_promotion([offer], TODAY) == offer
    assert running_promotion([offer], date(2024, 11, 21)) is None
    assert running_promotion([offer], date(2024, 11, 17)) is None


def test_the_lowest_running_price_wins_then_the_soonest_end() -> None:
    ended = promotion("双十一", 39900, date(2024, 11, 1), date(2024, 11, 11))
    later = promotion("会员价", 45900, date(2024, 11, 1), date(2024, 12, 31))
    cheap = promotion("限时直降", 44900, date(2024, 11, 18), date(2024, 12, 31))
    soon = promotion("秒杀", 44900, date(2024, 11, 20), date(2024, 11, 22))
    assert running_promotion([ended, later, cheap, soon], TODAY) == soon
    assert running_promotion([ended], TODAY) is None


def query_schema() -> dict[str, object]:
    document = yaml.safe_load(OPENAPI_PATH.read_text("utf-8"))
    parameters = document["paths"]["/v1/products"]["get"]["parameters"]
    schema: dict[str, object] = next(p for p in parameters if p["name"] == "q")[
        "schema"
    ]
    return schema


def contract_allows(query: str) -> bool:
    schema = query_schema()
    return (
        int(str(schema["minLength"])) <= len(query) <= int(str(schema["maxLength"]))
        and re.search(str(schema["pattern"]), query) is not None
    )


@pytest.mark.parametrize("query", ["", " ", "\t\n", "x" * 101])
def test_queries_the_contract_refuses_are_refused(query: str) -> None:
    assert not contract_allows(query)
    with pytest.raises(InvalidInput, match="'q'"):
        parse_product_query(query)


@pytest.mark.parametrize("query", ["\u3000", " air2 ", "x" * 100, "耳机"])
def test_queries_the_contract_allows_are_taken_as_typed(query: str) -> None:
    assert contract_allows(query)
    assert parse_product_query(query) == query


@pytest.mark.parametrize(
    ("raw", "expected"), [("air2", "air2"), ("X1-PRO", "x1-pro"), ("7", "7")]
)
def test_product_ids_are_taken_in_any_case(raw: str, expected: str) -> None:
    assert v.product_id(raw) == expected


@pytest.mark.parametrize(
    "raw", ["", "-air2", "air_2", "air2 ", "\u212aettle", "a" * 41]
)
def test_malformed_product_ids_are_refused(raw: str) -> None:
    with pytest.raises(InvalidInput, match="product_id"):
        v.product_id(raw)
