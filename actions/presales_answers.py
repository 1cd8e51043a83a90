"""Chinese answers to a pre-sales question from one catalogue product (no I/O).

:func:`answer` turns a :class:`~actions.presales_question.Question` and a
catalogue ``Product`` into the responses to send (``utter_product_*`` in
``domain.yml``) with their values: price and running promotion, stock per
variant, the specs asked, a matching FAQ of the product, an overview, or
"the product information doesn't say" with an offer of a person.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from actions.clients.payloads import Faq, Product, Sku
from actions.common import chinese_date, yuan
from actions.presales_question import SPEC_TOPICS, Question

#: The response that offers a person because the catalogue does not say.
INFO_MISSING = "utter_product_info_missing"
#: Specs shown in an overview.
OVERVIEW_SPECS = 3
#: A variant this short of stock says how many are left.
FEW_LEFT = 10
#: Share of an FAQ question's character pairs the shopper's text must contain.
FAQ_MATCH = 0.5

_NOT_A_WORD = re.compile(r"[\W_]+")
_VARIANT_PARTS = re.compile(r"\s*[/／,，、]\s*|\s+")
_STORAGE = re.compile(r"^(\d+)(?:G|GB)$")


@dataclass(frozen=True)
class Reply:
    """One response to send and its template values."""

    response: str
    values: dict[str, Any] = field(default_factory=dict)


def answer(product: Product, question: Question) -> list[Reply]:
    """The replies to ``question`` about ``product``, in the order to send them.

    Args:
        product: The catalogue's product, SKUs, specs and FAQs.
        question: What the shopper asked.

    Returns:
        At least one reply; an :data:`INFO_MISSING` one when something asked is
        not in the product information.
    """
    replies: list[Reply] = []
    if question.price:
        replies += price_replies(product)
    if question.asks_variants:
        replies += stock_replies(product, question)
    missing: list[str] = []
    for key in question.specs:
        spec = next((s for s in product["specs"] if s["key"] == key), None)
        if spec is None:
            missing.append(SPEC_TOPICS.get(key, "这一点"))
        else:
            replies.append(
                Reply(
                    "utter_product_spec",
                    {
                        "name": product["name"],
                        "spec": spec["name"],
                        "value": spec["value"],
                    },
                )
            )
    faq = matching_faq(product, question.text)
    if faq is not None and (missing or question.detail or not replies):
        replies.append(
            Reply(
                "utter_product_faq",
                {"question": faq["question"], "answer": faq["answer"]},
            )
        )
        missing = []
    elif not replies and question.detail:
        missing.append("这一点")
    if missing:
        replies.append(
            Reply(INFO_MISSING, {"name": product["name"], "topic": "、".join(missing)})
        )
    if not replies:
        replies += overview_replies(product)
    return replies


def price_replies(product: Product) -> list[Reply]:
    """The price (per variant when they differ) and the running promotion."""
    price = yuan(product["price_fen"])
    prices = {sku["price_fen"] for sku in product["skus"]}
    if len(prices) > 1:
        variants = "、".join(
            f"{sku['variant']} {yuan(sku['price_fen'])} 元" for sku in product["skus"]
        )
        replies = [
            Reply(
                "utter_product_price_range",
                {"name": product["name"], "price": price, "variants": variants},
            )
        ]
    else:
        replies = [
            Reply("utter_product_price", {"name": product["name"], "price": price})
        ]
    promotion = product.get("promotion")
    if promotion:
        replies.append(
            Reply(
                "utter_product_promotion",
                {
                    "label": promotion["label"],
                    "promotion_price": yuan(promotion["price_fen"]),
                    "ends_on": chinese_date(promotion["ends_on"]),
                },
            )
        )
    return replies


def stock_replies(product: Product, question: Question) -> list[Reply]:
    """Stock of the variants asked about, or of every variant.

    A colour or size that no variant has gets the variants there are.
    """
    skus = product["skus"]
    wanted = [*question.colours, *question.sizes]
    chosen = [sku for sku in skus if variant_matches(sku["variant"], question)]
    if not chosen and not wanted:
        chosen = [sku for sku in skus if _named_in(sku["variant"], question.text)]
    if wanted and not chosen:
        return [
            Reply(
                "utter_product_variant_missing",
                {
                    "name": product["name"],
                    "wanted": "、".join(wanted),
                    "variants": variant_list(skus),
                },
            )
        ]
    lines = "\n".join(stock_line(sku) for sku in (chosen or skus))
    return [Reply("utter_product_stock", {"name": product["name"], "variants": lines})]


def stock_line(sku: Sku) -> str:
    """One variant's line: label, price, and whether it is in stock."""
    if sku["stock"] <= 0:
        state = "暂时缺货"
    elif sku["stock"] <= FEW_LEFT:
        state = f"有货，仅剩 {sku['stock']} 件"
    else:
        state = "有货"
    return f"· {sku['variant']}：{yuan(sku['price_fen'])} 元，{state}"


def variant_list(skus: list[Sku]) -> str:
    """The variant labels, e.g. ``白色、黑色``."""
    return "、".join(sku["variant"] for sku in skus)


def variant_matches(label: str, question: Question) -> bool:
    """Whether a variant label has every colour and size asked about.

    A colour matches by its colour character (白色 matches 云白 and 白色 / L码);
    a size matches a whole part of the label (L码 matches L, not XL; 256G
    matches 256GB).
    """
    if not (question.colours or question.sizes):
        return False
    parts = {_size_key(part) for part in _VARIANT_PARTS.split(label) if part}
    return all(_colour_key(colour) in label for colour in question.colours) and all(
        _size_key(size) in parts for size in question.sizes
    )


def _colour_key(colour: str) -> str:
    """``白色`` → ``白``; a named colour (``曜石黑``) stays as it is."""
    return colour[:-1] if len(colour) == 2 and colour.endswith("色") else colour


def _size_key(size: str) -> str:
    """A comparable size: upper case, no 码/号 or spaces, storage in GB."""
    key = size.upper().replace(" ", "").removesuffix("码").removesuffix("號")
    key = key.removesuffix("号")
    storage = _STORAGE.match(key)
    return f"{storage.group(1)}GB" if storage else key


def _named_in(label: str, text: str) -> bool:
    """Whether the shopper typed (a part of) this variant's label."""
    lowered = text.lower()
    return any(
        len(part) >= 2 and part.lower() in lowered
        for part in _VARIANT_PARTS.split(label)
        if part
    )


def matching_faq(product: Product, text: str) -> Faq | None:
    """The product's FAQ whose question the shopper's text asks, if any.

    Two texts ask the same when the text holds at least :data:`FAQ_MATCH` of
    the FAQ question's character pairs (能连接苹果手机吗 ~ Air2能连苹果手机吗).
    """
    asked = _pairs(text)
    best: tuple[float, Faq | None] = (0.0, None)
    for faq in product["faqs"]:
        pairs = _pairs(faq["question"])
        if len(pairs) < 2:
            continue
        shared = len(pairs & asked)
        score = shared / len(pairs)
        if shared >= 2 and score >= FAQ_MATCH and score > best[0]:
            best = (score, faq)
    return best[1]


def _pairs(text: str) -> set[str]:
    words = _NOT_A_WORD.sub("", text.lower())
    return {words[i : i + 2] for i in range(len(words) - 1)}


def overview_replies(product: Product) -> list[Reply]:
    """A short overview: price, variants, a few specs, and the promotion."""
    specs = "\n".join(
        f"· {spec['name']}：{spec['value']}"
        for spec in product["specs"][:OVERVIEW_SPECS]
    )
    replies = [
        Reply(
            "utter_product_overview",
            {
                "name": product["name"],
                "price": yuan(product["price_fen"]),
                "variants": variant_list(product["skus"]) or "单一规格",
                "specs": specs,
            },
        )
    ]
    return replies + price_replies(product)[1:]
