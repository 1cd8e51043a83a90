"""Rules of the product catalogue (search, promotions): pure, no database or HTTP."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

# The spec keys the bot understands (its NLU maps what shoppers say onto them),
# with the Chinese name a spec gets when the merchant gives none.
SPEC_NAMES: Mapping[str, str] = {
    "waterproof": "防水等级",
    "battery": "续航",
    "size": "尺寸",
    "weight": "重量",
    "compatibility": "兼容性",
    "installation": "安装方式",
    "material": "材质",
    "capacity": "容量",
    "power": "功率",
    "noise_cancelling": "降噪",
    "charging": "充电",
    "shelf_life": "保质期",
    "origin": "产地",
    "skin_type": "适合肤质",
    "screen": "屏幕",
    "storage": "存储",
}

# Full-width ASCII (U+FF01-U+FF5E) sits 0xFEE0 above its half-width form.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
# A term this short inside a longer query matches too much to mean the product.
MIN_CONTAINED_TERM = 2


def normalise(text: str) -> str:
    """Fold text for matching: full-width to half-width, any case, no spaces.

    ``"ＡＩＲ２ 耳机"`` and ``"air2耳机"`` normalise alike.
    """
    folded = text.translate(_HALF_WIDTH).casefold()
    return "".join(folded.split())


@dataclass(frozen=True)
class SearchEntry:
    """What search needs of one product: its id, name and aliases."""

    product_id: str
    name: str
    aliases: tuple[str, ...] = ()


def match_strength(query: str, terms: Iterable[str]) -> tuple[int, bool]:
    """Return how strongly a normalised query matches a product's normalised terms.

    A term matches when it contains the query (``x1`` finds ``小客x1智能手机``) or
    when the query contains it (``air2耳机有白色的吗`` names ``air2耳机``). The
    longer the text both share, the stronger the match; at the same length a
    term equal to the query is stronger (``x1`` is the X1, not the X1 Pro).

    Args:
        query: The normalised query (not empty).
        terms: The product's normalised name and aliases.

    Returns:
        The longest shared length (0 when no term matches) and whether a term
        equals the query.
    """
    best = (0, False)
    for term in terms:
        if query in term:
            best = max(best, (len(query), query == term))
        elif len(term) >= MIN_CONTAINED_TERM and term in query:
            best = max(best, (len(term), False))
    return best


def by_name(entries: Iterable[SearchEntry]) -> list[SearchEntry]:
    """Order products by name, then id (code points: the same on every database)."""
    return sorted(entries, key=lambda e: (e.name, e.product_id))


def search(query: str | None, entries: Iterable[SearchEntry], limit: int) -> list[str]:
    """Return the ids of the products a query finds, best match first.

    Args:
        query: What the shopper typed; None lists every product by name.
        entries: The catalogue.
        limit: The most ids to return.

    Returns:
        Product ids: the longest match first, ties by name. A query that
        normalises to nothing (only spaces) finds nothing.
    """
    ordered = by_name(entries)
    if query is None:
        return [entry.product_id for entry in ordered[:limit]]
    needle = normalise(query)
    if not needle:
        return []
    scored = [
        (match_strength(needle, [normalise(t) for t in (e.name, *e.aliases)]), e)
        for e in ordered
    ]
    # sorted() is stable, so equally strong matches keep the name order.
    found = sorted((s for s in scored if s[0][0] > 0), key=lambda s: s[0], reverse=True)
    return [entry.product_id for _, entry in found[:limit]]


def from_price(sku_prices: Iterable[int]) -> int:
    """Return a product's price as listed: its cheapest SKU's (起价).

    Raises:
        ValueError: The product has no SKU (it is not on sale).
    """
    return min(sku_prices)


@dataclass(frozen=True)
class PromotionTerms:
    """A promotion as the rules see it: a price for a span of days."""

    label: str
    price_fen: int
    starts_on: date
    ends_on: date

    def runs_on(self, day: date) -> bool:
        """Tell whether the promotion runs on a day (both ends included)."""
        return self.starts_on <= day <= self.ends_on


def running_promotion(
    promotions: Sequence[PromotionTerms], today: date
) -> PromotionTerms | None:
    """Return the promotion running today: the lowest price, then the soonest end.

    Args:
        promotions: A product's promotions, past and future included.
        today: The shop's day (Beijing time).

    Returns:
        The running promotion, or None when none runs today.
    """
    running = [p for p in promotions if p.runs_on(today)]
    if not running:
        return None
    return min(running, key=lambda p: (p.price_fen, p.ends_on, p.label))
