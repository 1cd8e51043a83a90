"""Pre-sales answers against the real order service's catalogue, over HTTP."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import catalogue_client, yuan
from actions.presales import ActionAnswerProduct, product_button
from tests.support.trackers import message_kwargs, responses


def entity(text: str, word: str, name: str, value: str | None = None) -> dict:
    start = text.index(word)
    return {
        "entity": name,
        "start": start,
        "end": start + len(word),
        "value": value or word,
    }


def tracker(
    text: str,
    *entities: tuple[str, str, str | None],
    intent: str = "ask_product",
    **slots: Any,
) -> Tracker:
    """A shopper who never verified, whose latest message is ``text``."""
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": [entity(text, *e) for e in entities],
    }
    return Tracker.from_dict(
        {
            "sender_id": "web:visitor-presales",
            "slots": slots,
            "latest_message": parse,
            "events": [
                {"event": "action", "name": "action_listen"},
                {"event": "user", "text": text, "parse_data": parse},
            ],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


async def run(tracker: Tracker) -> tuple[CollectingDispatcher, list]:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerProduct().run(dispatcher, tracker, {})
    return dispatcher, events


async def product(query: str) -> dict:
    """The catalogue's product for ``query``, as the action sees it."""
    (first, *_) = await catalogue_client().search_products(query)
    return dict(await catalogue_client().get_product(first["product_id"]))


def slot(events: list, name: str) -> Any:
    (value,) = [e["value"] for e in events if e.get("name") == name]
    return value


async def test_price_and_the_running_promotion(services):
    air2 = await product("Air2")
    dispatcher, events = await run(tracker("Air2耳机多少钱", ("Air2", "product", None)))
    expected = ["utter_product_price"]
    if air2["promotion"]:
        expected.append("utter_product_promotion")
        promotion = message_kwargs(dispatcher, "utter_product_promotion")
        assert promotion["label"] == air2["promotion"]["label"]
        assert promotion["promotion_price"] == yuan(air2["promotion"]["price_fen"])
    assert responses(dispatcher) == expected
    price = message_kwargs(dispatcher, "utter_product_price")
    assert price["name"] == air2["name"]
    assert price["price"] == yuan(air2["price_fen"])
    assert events == [
        SlotSet("product_id", air2["product_id"]),
        SlotSet("recent_products", [air2["product_id"]]),
        SlotSet("product_question", slot(events, "product_question")),
    ]
    assert slot(events, "product_question")["price"] is True


async def test_at_least_one_promotion_runs(services):
    products = await catalogue_client().search_products("", 20)
    full = [await catalogue_client().get_product(p["product_id"]) for p in products]
    assert any(p["promotion"] for p in full)


async def test_stock_of_the_asked_colour(services):
    x1 = await product("X1")
    out = next(sku for sku in x1["skus"] if sku["stock"] == 0)
    colour = out["variant"].split("/")[0].strip()
    text = f"X1{colour}还有货吗"
    dispatcher, _ = await run(
        tracker(text, ("X1", "product", None), (colour, "colour", None))
    )
    assert responses(dispatcher) == ["utter_product_stock"]
    lines = message_kwargs(dispatcher, "utter_product_stock")["variants"].splitlines()
    assert lines == [
        f"· {sku['variant']}：{yuan(sku['price_fen'])} 元，{stock_state(sku['stock'])}"
        for sku in x1["skus"]
        if colour in sku["variant"]
    ]
    assert f"· {out['variant']}：{yuan(out['price_fen'])} 元，暂时缺货" in lines


def stock_state(stock: int) -> str:
    if stock == 0:
        return "暂时缺货"
    return f"有货，仅剩 {stock} 件" if stock <= 10 else "有货"


async def test_a_follow_up_without_the_product_means_the_one_asked_about(services):
    air2 = await product("Air2")
    waterproof = next(s for s in air2["specs"] if s["key"] == "waterproof")
    dispatcher, events = await run(
        tracker(
            "防水吗",
            ("防水", "spec", "waterproof"),
            product_id=air2["product_id"],
            recent_products=[air2["product_id"]],
        )
    )
    assert responses(dispatcher) == ["utter_product_spec"]
    assert (
        message_kwargs(dispatcher, "utter_product_spec")["value"] == waterproof["value"]
    )
    assert SlotSet("product_id", air2["product_id"]) in events


async def test_another_product_named_alone_gets_the_same_question(services):
    air2, x1 = await product("Air2"), await product("X1")
    previous = {"text": "Air2多少钱", "price": True}
    dispatcher, events = await run(
        tracker(
            "那X1呢",
            ("X1", "product", None),
            product_id=air2["product_id"],
            recent_products=[air2["product_id"]],
            product_question=previous,
        )
    )
    assert responses(dispatcher)[0] in {
        "utter_product_price",
        "utter_product_price_range",
    }
    assert message_kwargs(dispatcher, responses(dispatcher)[0])["name"] == x1["name"]
    assert slot(events, "recent_products") == [x1["product_id"], air2["product_id"]]


async def test_without_any_product_the_shopper_is_asked_which(services):
    dispatcher, events = await run(tracker("多少钱"))
    assert responses(dispatcher) == ["utter_ask_which_product"]
    buttons = dispatcher.messages[0]["buttons"]
    assert 1 <= len(buttons) <= 4
    assert all(b["payload"].startswith("/ask_product{") for b in buttons)
    assert events == [SlotSet("product_question", slot(events, "product_question"))]
    assert slot(events, "product_question")["price"] is True


async def test_the_recent_products_are_the_buttons(services):
    air2, x1 = await product("Air2"), await product("X1")
    recent = [x1["product_id"], air2["product_id"]]
    dispatcher, _ = await run(
        tracker("有白色的吗", ("白色", "colour", None), recent_products=recent)
    )
    assert dispatcher.messages[0]["buttons"] == [
        product_button(x1["product_id"], x1["name"]),
        product_button(air2["product_id"], air2["name"]),
    ]


async def test_a_picked_product_answers_the_question_asked_before(services):
    air2 = await product("Air2")
    waterproof = next(s for s in air2["specs"] if s["key"] == "waterproof")
    payload = product_button(air2["product_id"], air2["name"])["payload"]
    picked = tracker(
        payload, product_question={"text": "防水吗", "specs": ["waterproof"]}
    )
    # A button's payload carries the entity without a place in the text.
    picked.latest_message["entities"] = [
        {"entity": "product", "value": air2["product_id"]}
    ]
    dispatcher, events = await run(picked)
    assert responses(dispatcher) == ["utter_product_spec"]
    assert (
        message_kwargs(dispatcher, "utter_product_spec")["value"] == waterproof["value"]
    )
    assert SlotSet("product_id", air2["product_id"]) in events


async def test_a_category_with_several_products_asks_which(services):
    earphones = await catalogue_client().search_products("耳机")
    assert len(earphones) >= 2  # Air2 and ANC3
    dispatcher, events = await run(
        tracker(
            "耳机防水吗",
            ("耳机", "product_category", None),
            ("防水", "spec", "waterproof"),
        )
    )
    assert responses(dispatcher) == ["utter_ask_which_product"]
    titles = [b["title"] for b in dispatcher.messages[0]["buttons"]]
    assert titles == [p["name"] for p in earphones][:4]
    assert slot(events, "product_question")["specs"] == ["waterproof"]


async def test_a_product_the_catalogue_does_not_have(services):
    dispatcher, _ = await run(tracker("X9多少钱", ("X9", "product", None)))
    assert responses(dispatcher) == ["utter_product_not_found"]
    assert message_kwargs(dispatcher, "utter_product_not_found")["query"] == "X9"
    assert dispatcher.messages[0]["buttons"]


async def test_what_the_information_does_not_say_offers_a_person(services):
    air2 = await product("Air2")
    dispatcher, _ = await run(tracker("Air2能当助听器用吗", ("Air2", "product", None)))
    assert responses(dispatcher) == ["utter_product_info_missing"]
    assert (
        message_kwargs(dispatcher, "utter_product_info_missing")["name"] == air2["name"]
    )


async def test_an_order_number_after_an_answer_is_no_product_question(services):
    air2 = await product("Air2")
    dispatcher, events = await run(
        tracker(
            "XK202411110003",
            ("XK202411110003", "order_id", None),
            intent="inform",
            product_id=air2["product_id"],
        )
    )
    assert responses(dispatcher) == ["utter_ask_what_for"]
    assert events == []


async def test_a_colour_after_an_answer_asks_about_the_same_product(services):
    air2 = await product("Air2")
    dispatcher, _ = await run(
        tracker(
            "白色的",
            ("白色", "colour", None),
            intent="inform",
            product_id=air2["product_id"],
        )
    )
    white = next(sku for sku in air2["skus"] if sku["variant"] == "白色")
    assert responses(dispatcher) == ["utter_product_stock"]
    stock = message_kwargs(dispatcher, "utter_product_stock")
    assert stock["name"] == air2["name"]
    assert stock["variants"] == f"· 白色：{yuan(white['price_fen'])} 元，有货"


async def test_the_longer_name_wins(services):
    pro = await catalogue_client().get_product("x1-pro")
    dispatcher, events = await run(tracker("X1 Pro多少钱", ("X1 Pro", "product", None)))
    assert message_kwargs(dispatcher, responses(dispatcher)[0])["name"] == pro["name"]
    assert slot(events, "product_id") == "x1-pro"


async def test_a_question_the_products_faq_answers(services):
    air2 = await product("Air2")
    faq = next(f for f in air2["faqs"] if "单独" in f["question"])
    dispatcher, _ = await run(
        tracker("Air2一只耳机可以单独用吗", ("Air2", "product", None))
    )
    assert responses(dispatcher) == ["utter_product_faq"]
    assert message_kwargs(dispatcher, "utter_product_faq")["answer"] == faq["answer"]


async def test_catalogue_down_gets_the_apology(services_down):
    dispatcher, events = await run(tracker("Air2多少钱", ("Air2", "product", None)))
    assert responses(dispatcher) == ["utter_backend_unavailable"]
    assert events == []
