"""Pre-sales questions: price, stock, variants, specs, FAQs, from the catalogue.

No identity is needed: the catalogue is public. Which product: the one the
message names (the catalogue matches the text against names and aliases),
else the one a category word points to, else the one the conversation was
about (``product_id``), else the shopper is asked, with the products of the
conversation (``recent_products``) or a few from the catalogue as buttons. What
was asked is kept (``product_question``), so 那X1呢 asks the same of X1 and a
product picked from the buttons gets the question asked before.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.clients.catalogue import CatalogueClient
from actions.clients.errors import BackendError, NotFound
from actions.clients.payloads import Product, ProductSummary
from actions.common import apologise_for_backend, catalogue_client
from actions.presales_answers import answer
from actions.presales_question import Question, is_payload, read_question

logger = logging.getLogger(__name__)

PRODUCT_ID = "product_id"
RECENT_PRODUCTS = "recent_products"
PRODUCT_QUESTION = "product_question"
#: Products remembered, and offered as buttons.
RECENT_KEPT = 4
#: Products one message may ask about at once (Air2和ANC3哪个续航长).
MAX_PRODUCTS = 3
SEARCH_LIMIT = 5


@dataclass(frozen=True)
class Found:
    """Which products a message is about.

    Attributes:
        products: The products to answer about (empty if not known).
        choices: Several products the message may mean: ask which.
        unknown: A product name the catalogue does not have.
    """

    products: tuple[Product, ...] = ()
    choices: tuple[ProductSummary, ...] = ()
    unknown: str | None = None


def product_button(product_id: str, name: str) -> dict[str, str]:
    """A button that asks about one product (its payload names the product id)."""
    entities = json.dumps({"product": product_id}, ensure_ascii=False)
    return {"title": name, "payload": f"/ask_product{entities}"}


def _entity_values(message: Mapping[str, Any], entity: str) -> list[str]:
    values = [
        str(e.get("value"))
        for e in message.get("entities") or []
        if isinstance(e, Mapping) and e.get("entity") == entity
    ]
    return list(dict.fromkeys(values))


def _entity_texts(message: Mapping[str, Any], entity: str) -> list[str]:
    """What the shopper typed for an entity (e.g. 蓝牙耳机, not its canonical 耳机)."""
    text = str(message.get("text") or "")
    typed = [
        text[int(e.get("start") or 0) : int(e.get("end") or 0)] or str(e.get("value"))
        for e in message.get("entities") or []
        if isinstance(e, Mapping) and e.get("entity") == entity
    ]
    return list(dict.fromkeys(typed))


async def find_products(
    client: CatalogueClient, message: Mapping[str, Any], context: str | None
) -> Found:
    """Which products ``message`` asks about.

    Args:
        client: The catalogue.
        message: The shopper's parsed message (``text``, ``entities``).
        context: The product the conversation was about, if any.

    Returns:
        The products, or the choices to offer, or the unknown name; all empty
        when the message names nothing (the caller falls back to ``context``).
    """
    text = str(message.get("text") or "")
    named = _entity_values(message, "product")
    if is_payload(text):
        # A button: the entity is a product id.
        return Found(products=await _get_all(client, named[:1]))
    hits = await client.search_products(text, SEARCH_LIMIT)
    if not hits:
        for value in named:
            hits = await client.search_products(value, SEARCH_LIMIT)
            if hits:
                break
    if hits:
        wanted = max(1, min(len(named), MAX_PRODUCTS))
        ids = [hit["product_id"] for hit in hits[:wanted]]
        return Found(products=await _get_all(client, ids))
    if named:
        return Found(unknown=named[0])
    for category in _entity_texts(message, "product_category"):
        hits = await client.search_products(category, SEARCH_LIMIT)
        if not hits:
            continue
        in_context = [hit for hit in hits if hit["product_id"] == context]
        if in_context or len(hits) == 1:
            chosen = in_context[0] if in_context else hits[0]
            return Found(products=await _get_all(client, [chosen["product_id"]]))
        return Found(choices=tuple(hits))
    return Found()


async def _get_all(client: CatalogueClient, ids: Sequence[str]) -> tuple[Product, ...]:
    products = []
    for product_id in ids:
        try:
            products.append(await client.get_product(product_id))
        except NotFound:
            logger.info("product %s is not in the catalogue", product_id)
    return tuple(products)


class ActionAnswerProduct(Action):
    """Answer a question about a product from the catalogue, or ask which product.

    Domain: slots ``product_id``, ``recent_products``, ``product_question``;
    responses ``utter_product_*`` (``actions/presales_answers.py``),
    ``utter_ask_which_product``, ``utter_product_not_found``,
    ``utter_no_products``, ``utter_ask_what_for`` and
    ``utter_backend_unavailable``.
    """

    def name(self) -> str:
        """Name of the action."""
        return "action_answer_product"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Answer, or ask which product; apologise when the catalogue is down."""
        message = tracker.latest_message
        asked = read_question(message)
        previous = Question.from_slot(tracker.get_slot(PRODUCT_QUESTION))
        # 那X1呢, or a product picked from the buttons: the question asked before.
        question = previous if asked.elided and previous is not None else asked
        context = tracker.get_slot(PRODUCT_ID)
        client = catalogue_client()
        try:
            found = await find_products(client, message, context)
            if found == Found() and _intent(message) == "inform":
                if not asked.asks_anything:
                    # Information that names no product and asks nothing (an
                    # order number after an answer): as everywhere else.
                    dispatcher.utter_message(response="utter_ask_what_for")
                    return []
            products = found.products
            if not products and found.choices:
                return self._ask_which(dispatcher, found.choices, question)
            if not products and found.unknown is None and context:
                products = await _get_all(client, [str(context)])
            if not products:
                return await self._ask_with_recent(
                    dispatcher, tracker, client, question, found.unknown
                )
        except BackendError as error:
            apologise_for_backend(dispatcher, error)
            return []
        for product in products:
            for reply in answer(product, question):
                dispatcher.utter_message(response=reply.response, **reply.values)
        recent = _remember(
            [p["product_id"] for p in products], tracker.get_slot(RECENT_PRODUCTS)
        )
        return [
            SlotSet(PRODUCT_ID, products[0]["product_id"]),
            SlotSet(RECENT_PRODUCTS, recent),
            SlotSet(
                PRODUCT_QUESTION, question.to_slot() if question.asks_anything else None
            ),
        ]

    @staticmethod
    def _ask_which(
        dispatcher: CollectingDispatcher,
        choices: Sequence[ProductSummary],
        question: Question,
    ) -> list[EventType]:
        buttons = [
            product_button(c["product_id"], c["name"]) for c in choices[:RECENT_KEPT]
        ]
        dispatcher.utter_message(response="utter_ask_which_product", buttons=buttons)
        return [SlotSet(PRODUCT_QUESTION, _kept(question))]

    async def _ask_with_recent(
        self,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        client: CatalogueClient,
        question: Question,
        unknown: str | None,
    ) -> list[EventType]:
        """Ask which product, offering this conversation's (or a few popular) ones."""
        recent = [str(p) for p in tracker.get_slot(RECENT_PRODUCTS) or []]
        choices: list[ProductSummary] = []
        for product in await _get_all(client, recent[:RECENT_KEPT]):
            choices.append(_summary(product))
        if not choices:
            choices = list(await client.search_products("", RECENT_KEPT))
        if not choices:
            dispatcher.utter_message(response="utter_no_products")
            return []
        buttons = [product_button(c["product_id"], c["name"]) for c in choices]
        if unknown:
            dispatcher.utter_message(
                response="utter_product_not_found", query=unknown, buttons=buttons
            )
        else:
            dispatcher.utter_message(
                response="utter_ask_which_product", buttons=buttons
            )
        return [SlotSet(PRODUCT_QUESTION, _kept(question))]


def _intent(message: Mapping[str, Any]) -> str | None:
    intent = message.get("intent") or {}
    return str(intent.get("name")) if isinstance(intent, Mapping) else None


def _kept(question: Question) -> dict[str, Any] | None:
    return question.to_slot() if question.asks_anything else None


def _summary(product: Product) -> ProductSummary:
    return {
        "product_id": product["product_id"],
        "name": product["name"],
        "category": product["category"],
        "price_fen": product["price_fen"],
    }


def _remember(product_ids: Sequence[str], recent: Any) -> list[str]:
    """The recent products with these first (no repeats, at most RECENT_KEPT)."""
    earlier = [str(p) for p in recent] if isinstance(recent, list) else []
    return list(dict.fromkeys([*product_ids, *earlier]))[:RECENT_KEPT]
