"""The demo catalogue: every demo product listed, findable, and fit for the tables."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from bot.backends.common import validation as v
from bot.backends.orders import models
from bot.backends.orders.catalogue_rules import (
    SPEC_NAMES,
    PromotionTerms,
    SearchEntry,
    from_price,
    normalise,
    running_promotion,
    search,
)
from bot.backends.seed.catalog import LISTINGS, PRODUCTS, Listing

IDS = [listing.product_id for listing in LISTINGS]


def promotions(listing: Listing, today: date) -> list[PromotionTerms]:
    return [
        PromotionTerms(
            o.label,
            o.price_fen,
            today + timedelta(days=o.starts_in_days),
            today + timedelta(days=o.ends_in_days),
        )
        for o in listing.offers
    ]


def test_every_demo_sku_is_a_variant_at_its_order_price() -> None:
    variants = {
        variant.sku: (listing, variant)
        for listing in LISTINGS
        for variant in listing.variants
    }
    for sku, product in PRODUCTS.items():
        listing, variant = variants[sku]
        assert variant.price_fen == product.price_fen, sku
        assert listing.category == product.category, sku


def test_identifiers_are_unique_and_in_the_contracts_formats() -> None:
    skus = [variant.sku for listing in LISTINGS for variant in listing.variants]
    assert len(set(IDS)) == len(IDS)
    assert len(set(skus)) == len(skus)
    assert all(v.PRODUCT_ID_RE.fullmatch(product_id) for product_id in IDS)
    assert all(v.SKU_RE.fullmatch(sku) for sku in skus)


@pytest.mark.parametrize("listing", LISTINGS, ids=IDS)
def test_each_listing_has_known_specs_faqs_and_variants(listing: Listing) -> None:
    keys = [spec.key for spec in listing.specs]
    assert 3 <= len(keys) <= 6
    assert len(set(keys)) == len(keys)
    assert set(keys) <= set(SPEC_NAMES)
    assert 1 <= len(listing.faqs) <= 3
    assert listing.variants
    assert len({variant.label for variant in listing.variants}) == len(listing.variants)


@pytest.mark.parametrize("listing", LISTINGS, ids=IDS)
def test_each_alias_finds_its_own_product_first(listing: Listing) -> None:
    entries = [SearchEntry(x.product_id, x.name, x.aliases) for x in LISTINGS]
    assert len(listing.aliases) >= 3
    assert len(set(listing.aliases)) == len(listing.aliases)
    for alias in (*listing.aliases, listing.name):
        assert search(alias, entries, 1) == [listing.product_id], alias
        # ...also inside a shopper's sentence.
        assert search(f"{alias}多少钱", entries, 1) == [listing.product_id], alias


def test_no_alias_belongs_to_two_products() -> None:
    owners = Counter(
        normalised
        for listing in LISTINGS
        for normalised in {normalise(alias) for alias in listing.aliases}
    )
    assert [alias for alias, count in owners.items() if count > 1] == []


@pytest.mark.parametrize("today", [date(2024, 11, 20), date(2031, 6, 1)])
def test_a_promotion_runs_whatever_day_the_seed_is_for(today: date) -> None:
    running = {
        listing.product_id: offer
        for listing in LISTINGS
        if (offer := running_promotion(promotions(listing, today), today))
    }
    assert running
    for product_id, offer in running.items():
        listing = LISTINGS[IDS.index(product_id)]
        assert offer.price_fen < from_price(x.price_fen for x in listing.variants)
    # And one that has ended shows that past promotions are not offered.
    assert any(
        promotions(listing, today) and listing.product_id not in running
        for listing in LISTINGS
    )


def test_some_variant_is_sold_out() -> None:
    stocks = [x.stock for listing in LISTINGS for x in listing.variants]
    assert 0 in stocks
    assert min(stocks) >= 0


def length(column: object) -> int:
    size: int = column.type.length  # type: ignore[attr-defined]
    return size


def test_every_text_fits_its_column() -> None:
    for listing in LISTINGS:
        assert len(listing.product_id) <= length(models.Product.product_id)
        assert len(listing.name) <= length(models.Product.name)
        assert len(listing.category) <= length(models.Product.category)
        for alias in listing.aliases:
            assert len(alias) <= length(models.ProductAlias.alias), alias
        for variant in listing.variants:
            assert len(variant.label) <= length(models.ProductSku.variant)
        for spec in listing.specs:
            name = spec.name or SPEC_NAMES[spec.key]
            assert len(name) <= length(models.ProductSpec.name)
            assert len(spec.value) <= length(models.ProductSpec.value)
        for question, _answer in listing.faqs:
            assert len(question) <= length(models.ProductFaq.question)
        for offer in listing.offers:
            assert len(offer.label) <= length(models.Promotion.label)
