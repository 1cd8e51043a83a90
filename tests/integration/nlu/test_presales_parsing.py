"""The trained NLU on pre-sales questions: the intent and what the action reads."""

import pytest

pytestmark = pytest.mark.model


def values(parsed: dict, name: str) -> list[str]:
    return [e["value"] for e in parsed["entities"] if e["entity"] == name]


@pytest.mark.parametrize(
    "text",
    [
        # Each of these once started identity verification or got an FAQ.
        "Air2耳机多少钱",
        "Air2耳机有白色的吗",
        "X1手机现在什么价",
        "ANC3降噪效果怎么样",
        "空气炸锅容量多大",
        # Follow-ups without the product.
        "有白色的吗",
        "防水吗",
        "多少钱",
        "那X1呢",
        # Traditional characters, typos, English.
        "這款耳機防水嗎",
        "空汽炸锅价格多少",
        "Air2 in stock吗",
    ],
)
async def test_product_questions_are_ask_product(agent, text):
    parsed = await agent.parse_message(text)
    assert parsed["intent"]["name"] == "ask_product"


@pytest.mark.parametrize(
    ("text", "name", "value", "surface"),
    [
        ("Air2耳机有白色的吗", "product", "air2耳机", "Air2耳机"),
        ("Ｘ１ Pro多少钱", "product", "x1 pro", "Ｘ１ Pro"),
        ("有白的吗", "colour", "白色", "白的"),
        ("云白还有货吗", "colour", "云白", "云白"),
        ("防水吗", "spec", "waterproof", "防水"),
        ("续航多久", "spec", "battery", "续航"),
        ("能连苹果手机吗", "spec", "compatibility", "苹果手机"),
        ("有L码吗", "size", "l码", "L码"),
        ("512G的还有吗", "size", "512g", "512G"),
    ],
)
async def test_product_words_are_extracted(agent, text, name, value, surface):
    parsed = await agent.parse_message(text)
    found = [e for e in parsed["entities"] if e["entity"] == name]
    assert found, f"no {name} in {parsed['entities']}"
    assert found[0]["value"] == value
    assert text[found[0]["start"] : found[0]["end"]] == surface


async def test_a_product_in_a_delivery_question_stays_a_delivery_question(agent):
    parsed = await agent.parse_message("我买的Air2耳机发货了没")
    assert parsed["intent"]["name"] == "track_delivery"
    assert values(parsed, "product") == ["air2耳机"]
