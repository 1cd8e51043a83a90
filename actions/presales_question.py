"""What a pre-sales question asks: price, stock, a variant, specs, or something else.

Read from one parsed message: the NLU's ``spec``, ``colour`` and ``size``
entities (``data/nlu/presales_entities.yml``; spec values are the catalogue's
spec keys) and the words of the text. No I/O: the catalogue is not needed to
know what was asked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

#: The catalogue's spec keys and how a shopper would name each in a sentence
#: (the topic of "商品信息里没有写到{topic}").
SPEC_TOPICS: dict[str, str] = {
    "waterproof": "防水",
    "battery": "续航",
    "size": "尺寸",
    "weight": "重量",
    "compatibility": "兼容性",
    "installation": "安装",
    "material": "材质",
    "capacity": "容量",
    "power": "功率",
    "noise_cancelling": "降噪",
    "charging": "充电",
    "shelf_life": "保质期",
    "origin": "产地",
    "skin_type": "适合的肤质",
    "screen": "屏幕",
    "storage": "存储",
}
#: Entities that name a product (their spans are not part of the question).
PRODUCT_ENTITIES = ("product", "product_category")

# Traditional forms are listed too: actions see the text as the shopper typed it.
_PRICE = re.compile(
    r"多少[钱錢前]|价[格钱位个]|價[格錢]|[什啥]么?价|几块|几多钱|多钱|售价|卖多少|怎么卖"
    r"|贵不贵|贵吗|便宜|优惠|優惠|活动|打折|几折|折扣|促销|降价|满减|到手价|划算"
    r"|price|discount|cost"
)
_STOCK = re.compile(
    r"有[货貨]|[没無无]货|[现現][货貨]|[库庫][存]|还有[吗嗎不没]|缺货|断货|卖完|售罄"
    r"|stock|[几哪什][种个些么]?[颜顏]色|[颜顏]色|款式|有.{1,3}[的款][吗嗎]"
)
# Asking about the product as a whole: 介绍一下 / 怎么样 get its overview.
_OVERVIEW = re.compile(
    r"了解|介绍|介紹|怎么样|怎麼樣|如何|好不好|好用吗|值得买|值不值|推荐|详情|详细|參數|参数"
    r"|信息|资料|看看|区别|對比|对比|比较|哪个好"
)
# Words that carry no question of their own: greetings, pronouns, particles.
_FILLER = re.compile(
    r"请问|你好|您好|在吗|在嗎|亲|想问|问下|问一下|我想|一下|发我"
    r"|这个|这款|那个|那款|這個|這款|换成|商品|产品|东西"
    r"|现在|目前|最近|有没有|是不是|你们|多少|什么|啥"
    r"|[那这它的吗嗎呢啊呀吧么嘛哦了想买要个有是还都我和跟与]"
)
_NOT_A_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Question:
    """What the shopper asked about a product.

    Attributes:
        text: The words of the question (for matching the product's FAQs).
        price: Asks the price or a promotion.
        stock: Asks whether it is in stock, or which variants there are.
        specs: Spec keys asked about (``waterproof``, ``battery`` …).
        colours: Colours asked about (``白色``), matched against variant labels.
        sizes: Sizes asked about (``L码``, ``256G``), matched likewise.
        detail: What is left of the text once products, topics and filler
            words are taken out: a question of its own when not empty.
        overview: Asks about the product as a whole (介绍一下, 怎么样).
    """

    text: str = ""
    price: bool = False
    stock: bool = False
    specs: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()
    detail: str = field(default="")
    overview: bool = False

    @property
    def asks_anything(self) -> bool:
        """Whether the question asks something particular (else: an overview)."""
        return bool(
            self.price
            or self.stock
            or self.specs
            or self.colours
            or self.sizes
            or self.detail
        )

    @property
    def elided(self) -> bool:
        """Whether it only names a product (那X1呢): the question before holds."""
        return not (self.asks_anything or self.overview)

    @property
    def asks_variants(self) -> bool:
        """Whether stock or particular variants are asked about."""
        return bool(self.stock or self.colours or self.sizes)

    def to_slot(self) -> dict[str, Any]:
        """The question as the ``product_question`` slot keeps it (JSON types)."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in asdict(self).items()
        }

    @classmethod
    def from_slot(cls, value: Any) -> Question | None:
        """Rebuild a question kept by :meth:`to_slot` (``None`` if there is none)."""
        if not isinstance(value, Mapping):
            return None
        return cls(
            text=str(value.get("text") or ""),
            price=bool(value.get("price")),
            stock=bool(value.get("stock")),
            specs=_strings(value.get("specs")),
            colours=_strings(value.get("colours")),
            sizes=_strings(value.get("sizes")),
            detail=str(value.get("detail") or ""),
            overview=bool(value.get("overview")),
        )


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        return ()
    return tuple(str(item) for item in value)


def is_payload(text: str) -> bool:
    """Whether the message is a button's payload (``/ask_product{...}``)."""
    return text.startswith("/")


def read_question(message: Mapping[str, Any]) -> Question:
    """What a parsed message asks about a product.

    Args:
        message: Rasa's parse of the message (``text`` and ``entities``).

    Returns:
        The question; a button's payload asks nothing by itself.
    """
    text = str(message.get("text") or "")
    if is_payload(text):
        return Question()
    entities = [e for e in message.get("entities") or [] if isinstance(e, Mapping)]
    products = [_span(e) for e in entities if e.get("entity") in PRODUCT_ENTITIES]
    specs = _values(
        e
        for e in entities
        if e.get("entity") == "spec"
        and str(e.get("value")) in SPEC_TOPICS
        and not _inside_any(_span(e), products)
    )
    colours = _values(e for e in entities if e.get("entity") == "colour")
    sizes = _values(e for e in entities if e.get("entity") == "size")
    lowered = text.lower()
    return Question(
        text=text,
        price=bool(_PRICE.search(lowered)),
        stock=bool(_STOCK.search(lowered)),
        specs=specs,
        colours=colours,
        sizes=sizes,
        detail=_detail(lowered, [_span(e) for e in entities]),
        overview=bool(_OVERVIEW.search(lowered)),
    )


def _span(entity: Mapping[str, Any]) -> tuple[int, int]:
    return int(entity.get("start") or 0), int(entity.get("end") or 0)


def _inside_any(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    """Whether ``span`` overlaps one of ``others`` (充电 inside 充电器)."""
    return any(span[0] < end and start < span[1] for start, end in others)


def _values(entities: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """Distinct entity values, first mention first."""
    return tuple(dict.fromkeys(str(e.get("value")) for e in entities))


def _detail(text: str, spans: list[tuple[int, int]]) -> str:
    """The text without entity spans, price and stock words, or filler words."""
    kept = "".join(
        char
        for index, char in enumerate(text)
        if not _inside_any((index, index + 1), spans)
    )
    kept = _PRICE.sub(" ", kept)
    kept = _STOCK.sub(" ", kept)
    kept = _OVERVIEW.sub(" ", kept)
    kept = _FILLER.sub(" ", kept)
    words = _NOT_A_WORD.sub("", kept)
    # A single character left over (个, 下 …) is no question of its own.
    return words if len(words) >= 2 else ""
