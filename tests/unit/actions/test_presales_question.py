"""Reading what a pre-sales question asks from the NLU's parse."""

from actions.presales_question import Question, read_question


def entity(text: str, word: str, name: str, value: str | None = None) -> dict:
    start = text.index(word)
    return {
        "entity": name,
        "start": start,
        "end": start + len(word),
        "value": value or word,
    }


def parse(text: str, *entities: tuple[str, str, str | None]) -> dict:
    return {
        "text": text,
        "intent": {"name": "ask_product"},
        "entities": [entity(text, *e) for e in entities],
    }


def test_price_words_ask_the_price():
    for text, product in (
        ("Air2耳机多少钱", "Air2"),
        ("X1多少錢", "X1"),
        ("现在有优惠吗", None),
        ("ANC3打几折", "ANC3"),
        ("Air2的price多少", "Air2"),
    ):
        entities = [(product, "product", None)] if product else []
        if "耳机" in text:
            entities.append(("耳机", "product_category", "耳机"))
        question = read_question(parse(text, *entities))
        assert question.price, text
        assert not question.stock and not question.detail, text


def test_a_colour_asks_for_that_variant():
    text = "Air2有白色的吗"
    question = read_question(
        parse(text, ("Air2", "product", None), ("白色", "colour", None))
    )
    assert question.colours == ("白色",)
    assert question.asks_variants
    assert not question.price and not question.detail


def test_a_spec_inside_a_product_name_is_not_asked():
    # 充电 (charging) inside 充电器 names the product, not the question.
    text = "这个充电器支持快充吗"
    question = read_question(
        parse(
            text,
            ("充电器", "product_category", "充电器"),
            ("充电", "spec", "charging"),
            ("快充", "spec", "charging"),
        )
    )
    assert question.specs == ("charging",)


def test_unknown_spec_values_are_ignored():
    text = "防水吗"
    question = read_question(parse(text, ("防水", "spec", "防水")))
    assert question.specs == ()


def test_an_elided_follow_up_asks_nothing_of_its_own():
    for text in ("那X1呢", "X1 Pro怎么样", "介绍一下Air2"):
        product = "X1 Pro" if "Pro" in text else ("X1" if "X1" in text else "Air2")
        question = read_question(parse(text, (product, "product", None)))
        assert not question.asks_anything, text


def test_a_question_the_topics_do_not_cover_keeps_its_words():
    text = "Air2能当助听器用吗"
    question = read_question(parse(text, ("Air2", "product", None)))
    assert question.detail == "能当助听器用"
    assert question.asks_anything


def test_a_button_payload_asks_nothing():
    question = read_question(
        {
            "text": '/ask_product{"product": "air2"}',
            "entities": [{"entity": "product", "value": "air2"}],
        }
    )
    assert question == Question()


def test_the_slot_keeps_the_whole_question():
    question = Question(text="防水吗", specs=("waterproof",), colours=("白色",))
    assert Question.from_slot(question.to_slot()) == question
    assert Question.from_slot(None) is None
    assert Question.from_slot("garbage") is None


def test_asking_for_an_overview_is_not_an_elided_question():
    text = "介绍一下X1"
    question = read_question(parse(text, ("X1", "product", None)))
    assert question.overview and not question.asks_anything
    assert not question.elided
    assert read_question(parse("那X1呢", ("X1", "product", None))).elided
