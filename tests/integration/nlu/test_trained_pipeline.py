"""The trained NLU pipeline: normalisation, entity extraction, offsets, values."""

import pytest

pytestmark = pytest.mark.model


async def parse(agent, text):
    return await agent.parse_message(text)


def entity(parsed, name):
    found = [e for e in parsed["entities"] if e["entity"] == name]
    assert found, f"no {name} in {parsed['entities']}"
    return found[0]


@pytest.mark.parametrize(
    ("typed", "plain"),
    [
        ("我的訂單到哪裡了", "我的订单到哪里了"),
        ("ＪＤ２０２３１１２３", "jd20231123"),
        ("查下物流谢谢🙏", "查下物流谢谢"),
        ("我要退貨，質量有問題", "我要退货，质量有问题"),
        ("積分還有多少", "积分还有多少"),
        ("MY ORDER到哪了", "my order到哪了"),
    ],
)
async def test_variants_parse_like_their_plain_form(agent, typed, plain):
    variant, reference = await parse(agent, typed), await parse(agent, plain)
    assert variant["intent"]["name"] == reference["intent"]["name"]
    assert variant["intent"]["confidence"] == pytest.approx(
        reference["intent"]["confidence"], abs=0.02
    )


async def test_parse_result_keeps_what_the_shopper_typed(agent):
    parsed = await parse(agent, "我的訂單到哪裡了")
    assert parsed["text"] == "我的訂單到哪裡了"


async def test_full_width_order_number_is_canonical_and_points_into_the_original(
    agent,
):
    typed = "查一下订单ＸＫ２０２４１１１１０００１到哪了"
    order = entity(await parse(agent, typed), "order_id")
    assert order["value"] == "XK202411110001"
    assert typed[order["start"] : order["end"]] == "ＸＫ２０２４１１１１０００１"


async def test_offsets_survive_a_numeral_conversion(agent):
    typed = "退两件，订单xk202411110002"
    order = entity(await parse(agent, typed), "order_id")
    assert order["value"] == "XK202411110002"
    assert typed[order["start"] : order["end"]] == "xk202411110002"


@pytest.mark.parametrize(
    ("typed", "name", "value", "surface"),
    [
        ("顺丰单号SF123456789012到哪了", "tracking_number", "SF123456789012", None),
        ("邮政的ea123456789cn怎么不动", "tracking_number", "EA123456789CN", None),
        (
            "手机号１３９１２３４５６７８",
            "phone",
            "13912345678",
            "１３９１２３４５６７８",
        ),
        ("序列号sn8h2k4m9q1z想登记保修", "serial_number", "SN8H2K4M9Q1Z", None),
        ("耳机坏了想退", "return_reason", "质量问题", "坏了"),
        ("不想要了，七天无理由退吧", "return_reason", "七天无理由", None),
        ("我的顺丰速运快递到哪了", "carrier", "顺丰", "顺丰速运"),
        ("蓝牙耳机还在保修期吗", "product_category", "耳机", "蓝牙耳机"),
    ],
)
async def test_entities_are_extracted_with_canonical_values(
    agent, typed, name, value, surface
):
    found = entity(await parse(agent, typed), name)
    assert found["value"] == value
    if surface is not None:
        assert typed[found["start"] : found["end"]] == surface


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("你好", "greet"),
        ("谢谢亲", "thank"),
        ("我的快递到哪了", "track_delivery"),
        ("我要退货", "request_return"),
        ("退款什么时候到账", "check_return_status"),
        ("帮我登记一下保修", "register_warranty"),
        ("保修期多久", "check_warranty"),
        ("我有多少积分", "check_loyalty"),
        ("转人工", "human_handoff"),
        ("我要投诉你们", "complain"),
    ],
)
async def test_core_requests_get_their_intent(agent, text, intent):
    assert (await parse(agent, text))["intent"]["name"] == intent


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("查下积分", "check_loyalty"),
        ("积分查询", "check_loyalty"),
        ("查下订单", "track_delivery"),
        ("查物流", "track_delivery"),
        ("退货", "request_return"),
        ("登记保修", "register_warranty"),
    ],
)
async def test_short_requests_are_confidently_understood(agent, text, intent):
    """Two-to-four-character requests clear the fallback threshold with margin.

    A DIET without its transformer layer scored as well on the dev set but put
    查下积分 at 0.42, under the fallback threshold then (0.45): shoppers got 没太看懂.
    """
    parsed = await parse(agent, text)
    assert parsed["intent"]["name"] == intent
    assert parsed["intent"]["confidence"] >= 0.6


async def test_faq_question_selects_a_faq_answer(agent):
    parsed = await parse(agent, "可以开发票吗")
    assert parsed["intent"]["name"] == "faq"
    chosen = parsed["response_selector"]["faq"]["response"]["intent_response_key"]
    assert chosen == "faq/invoice"


async def test_small_talk_selects_a_small_talk_answer(agent):
    parsed = await parse(agent, "你叫什么名字")
    assert parsed["intent"]["name"] == "chitchat"
    chosen = parsed["response_selector"]["chitchat"]["response"]
    assert chosen["intent_response_key"] == "chitchat/ask_name"
    assert chosen["utter_action"] == "utter_chitchat/ask_name"
    assert parsed["intent"]["full_retrieval_intent_name"] == "chitchat/ask_name"


async def test_the_response_selector_runs_only_for_faq_and_small_talk(agent):
    parsed = await parse(agent, "我的快递到哪了")
    assert parsed["intent"]["name"] == "track_delivery"
    selected = parsed.get("response_selector", {})
    assert "faq" not in selected and "chitchat" not in selected


async def test_gibberish_does_not_start_a_flow(agent):
    parsed = await parse(agent, "asdfghjkl")
    assert parsed["intent"]["name"] in {"nlu_fallback", "out_of_scope"}


async def test_an_explicit_request_for_a_person_wins_over_another_question(agent):
    typed = "我要转人工 我的快递三天没动了"
    parsed = await parse(agent, typed)
    assert parsed["intent"] == {"name": "human_handoff", "confidence": 1.0}
    assert parsed["person_request"]["phrase"] == "我要转人工"
    assert parsed["text"] == typed  # the summary's last message keeps all of it
    assert [r["name"] for r in parsed["intent_ranking"]].count("human_handoff") == 1


async def test_a_request_in_traditional_characters_after_an_app_header(agent):
    parsed = await parse(agent, "咨询订单号:XK202411090321 商品ID:100032145 轉人工")
    assert parsed["intent"]["name"] == "human_handoff"


async def test_a_declined_person_leaves_the_question(agent):
    parsed = await parse(agent, "不用转人工，帮我查下快递到哪了")
    assert parsed["intent"]["name"] == "track_delivery"
    assert "person_request" not in parsed


@pytest.mark.parametrize(
    "typed", ["不用转人工了", "人工就不用了，谢谢", "别给我转人工", "暂时不需要真人"]
)
async def test_declining_a_person_never_hands_off(agent, typed):
    # The answer to "需要为您转人工吗" after a complaint: a handoff here would do
    # the opposite of what the shopper said.
    parsed = await parse(agent, typed)
    assert parsed["intent"]["name"] != "human_handoff"
    assert "person_request" not in parsed
