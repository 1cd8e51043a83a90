"""Answers to pre-sales questions from one catalogue product (no I/O)."""

from actions.presales_answers import INFO_MISSING, Reply, answer, variant_matches
from actions.presales_question import Question

AIR2 = {
    "product_id": "air2",
    "name": "小客 Air2 真无线蓝牙耳机",
    "category": "audio",
    "price_fen": 49900,
    "aliases": ["Air2"],
    "promotion": {
        "label": "双十二直降50元",
        "price_fen": 44900,
        "ends_on": "2026-12-12",
    },
    "skus": [
        {"sku": "EB-AIR2-WHT", "variant": "白色", "price_fen": 49900, "stock": 120},
        {"sku": "EB-AIR2-BLK", "variant": "黑色", "price_fen": 49900, "stock": 0},
        {"sku": "EB-AIR2-BLU", "variant": "冰川蓝", "price_fen": 49900, "stock": 3},
    ],
    "specs": [
        {"key": "waterproof", "name": "防水等级", "value": "IPX4 生活防水"},
        {"key": "battery", "name": "续航", "value": "单次 6 小时，配合充电盒 24 小时"},
    ],
    "faqs": [
        {"question": "能连接苹果手机吗", "answer": "可以，支持蓝牙5.3的手机都能连。"}
    ],
}
X1 = {
    **AIR2,
    "product_id": "x1",
    "name": "小客 X1 智能手机",
    "promotion": None,
    "price_fen": 399900,
    "skus": [
        {
            "sku": "PH-X1-256-BLK",
            "variant": "曜石黑 / 256GB",
            "price_fen": 399900,
            "stock": 50,
        },
        {
            "sku": "PH-X1-512-WHT",
            "variant": "云白 / 512GB",
            "price_fen": 459900,
            "stock": 0,
        },
    ],
    "faqs": [],
}


def responses(replies: list[Reply]) -> list[str]:
    return [reply.response for reply in replies]


def test_price_comes_with_the_running_promotion():
    replies = answer(AIR2, Question(text="Air2多少钱", price=True))
    assert replies == [
        Reply("utter_product_price", {"name": AIR2["name"], "price": "499.00"}),
        Reply(
            "utter_product_promotion",
            {
                "label": "双十二直降50元",
                "promotion_price": "449.00",
                "ends_on": "2026年12月12日",
            },
        ),
    ]


def test_variants_with_different_prices_are_priced_each():
    (reply,) = answer(X1, Question(price=True))
    assert reply.response == "utter_product_price_range"
    assert (
        reply.values["variants"] == "曜石黑 / 256GB 3999.00 元、云白 / 512GB 4599.00 元"
    )


def test_stock_of_the_asked_colour_only():
    (reply,) = answer(AIR2, Question(text="有白色的吗", stock=True, colours=("白色",)))
    assert reply == Reply(
        "utter_product_stock",
        {"name": AIR2["name"], "variants": "· 白色：499.00 元，有货"},
    )


def test_stock_of_every_variant_says_which_are_out_or_few():
    (reply,) = answer(AIR2, Question(text="还有货吗", stock=True))
    assert reply.values["variants"].splitlines() == [
        "· 白色：499.00 元，有货",
        "· 黑色：499.00 元，暂时缺货",
        "· 冰川蓝：499.00 元，有货，仅剩 3 件",
    ]


def test_a_colour_no_variant_has_lists_the_variants():
    (reply,) = answer(AIR2, Question(stock=True, colours=("粉色",)))
    assert reply == Reply(
        "utter_product_variant_missing",
        {"name": AIR2["name"], "wanted": "粉色", "variants": "白色、黑色、冰川蓝"},
    )


def test_a_variant_typed_without_an_entity_is_found_in_the_text():
    (reply,) = answer(X1, Question(text="云白还有货吗", stock=True))
    assert reply.values["variants"] == "· 云白 / 512GB：4599.00 元，暂时缺货"


def test_colour_and_size_match_variant_labels():
    question = Question(colours=("白色",), sizes=("512G",))
    assert variant_matches("云白 / 512GB", question)
    assert not variant_matches("曜石黑 / 256GB", question)
    assert variant_matches("黑色 / L码", Question(sizes=("l码",)))
    assert not variant_matches("黑色 / XL码", Question(sizes=("L码",)))


def test_the_asked_spec():
    (reply,) = answer(AIR2, Question(text="防水吗", specs=("waterproof",)))
    assert reply == Reply(
        "utter_product_spec",
        {"name": AIR2["name"], "spec": "防水等级", "value": "IPX4 生活防水"},
    )


def test_a_spec_the_product_does_not_list_offers_a_person():
    (reply,) = answer(AIR2, Question(text="多重", specs=("weight",)))
    assert reply == Reply(INFO_MISSING, {"name": AIR2["name"], "topic": "重量"})


def test_a_matching_faq_answers_what_no_spec_says():
    replies = answer(
        AIR2, Question(text="Air2能连苹果手机吗", specs=("compatibility",))
    )
    assert replies == [
        Reply(
            "utter_product_faq",
            {
                "question": "能连接苹果手机吗",
                "answer": "可以，支持蓝牙5.3的手机都能连。",
            },
        )
    ]


def test_a_question_nothing_covers_offers_a_person():
    replies = answer(AIR2, Question(text="Air2能当助听器用吗", detail="能当助听器用"))
    assert responses(replies) == [INFO_MISSING]
    assert replies[0].values["topic"] == "这一点"


def test_no_question_gets_the_overview_and_the_promotion():
    replies = answer(AIR2, Question(text="介绍一下Air2"))
    assert responses(replies) == ["utter_product_overview", "utter_product_promotion"]
    overview = replies[0].values
    assert overview["price"] == "499.00"
    assert overview["variants"] == "白色、黑色、冰川蓝"
    assert overview["specs"].splitlines() == [
        "· 防水等级：IPX4 生活防水",
        "· 续航：单次 6 小时，配合充电盒 24 小时",
    ]
