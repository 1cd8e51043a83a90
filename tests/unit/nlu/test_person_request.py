"""Explicit requests for a person: what counts, what doesn't, and the override."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_server.nlu.normalization import TextNormalizer
from bot.rasa_server.nlu.person_override import (
    PERSON_REFUSAL,
    PERSON_REQUEST,
    PersonRequestOverride,
)
from bot.rasa_server.nlu.person_request import find_person_request, refuses_person


@pytest.fixture(scope="module")
def normalizer() -> TextNormalizer:
    return TextNormalizer.default()


@pytest.mark.parametrize(
    ("typed", "phrase"),
    [
        # Alone, and pasted before or after another question.
        ("转人工", "转人工"),
        ("人工", "人工"),
        ("人工？", "人工"),
        ("人工客服 京东快递 你好", "人工客服"),
        ("人工服务 [订单编号:xk202411110001] 你好，大件能送上楼吗", "人工服务"),
        ("我要转人工 我的洗衣机今天能到吗", "我要转人工"),
        ("你好 帮我开个发票，我要转人工", "我要转人工"),
        ("订单xk202411110001 退货一直没审核 人工", "人工"),
        ("麻烦转接一下人工，价保申请失败了", "麻烦转接一下人工"),
        ("我不想跟机器人说了，给我找个真人", "找个真人"),
        ("换个真人来吧", "换个真人"),
        ("我就要人工服务！", "我就要人工服务"),
        ("我要听到活人的声音", "活人"),
        ("能不能让人工跟我说", "让人工"),
        ("有没有人工客服啊", "有没有人工客服"),
        ("人工客服在哪里", "人工客服在哪里"),
        ("真人客服在哪", "真人客服在哪"),
        ("我要跟人工對話", "跟人工对话"),
        # Typed with slips, traditional characters, full width, emoji.
        ("转人共", "转人共"),
        ("轉人工客服！！", "转人工客服"),
        ("ＲＥＮ 人工😭", "人工"),
        ("我要人工service", "要人工"),
        # A call back.
        ("请你们打我电话谢谢", "请你们打我电话谢谢"),
        ("给我回个电话，退款的事说不清", "给我回个电话"),
        ("麻烦客服给我打电话", "麻烦客服给我打电话"),
        ("希望你们明天给我回个电话", "希望你们明天给我回个电话"),
        ("有事可以电话联系我", "可以电话联系我"),
        ("让你们客服联系我", "让你们客服联系我"),
        ("帮我联系一下负责售后的专员，赶紧处理", "联系一下负责售后的专员"),
        ("我要找你们主管", "找你们主管"),
        ("号码是13800001111 你打13800001111联系我吧", "你打13800001111联系我吧"),
        ("麻烦打这个号码联系我", "麻烦打这个号码联系我"),
        ("发票又开错了，请你们客服再给我电话", "请你们客服再给我电话"),
        ("私信了，赶紧联系我！！！", "赶紧联系我"),
        ("麻烦尽快联系我一下", "麻烦尽快联系我"),
        # An agent by number, or the one the shopper talked to before.
        ("帮我转3号客服 谢谢", "转3号客服"),
        ("转[数字x]号客服", "转[数字x]号客服"),
        ("转工号1024的客服", "转工号1024的客服"),
        ("我要找刚才那个客服", "找刚才那个客服"),
        ("麻烦转回刚才那个客服", "转回刚才那个客服"),
        # A negation that is a threat, not a refusal.
        ("再不给我转人工我就投诉", "转人工"),
        ("再不把我转人工我就投诉", "转人工"),
    ],
)
def test_a_request_for_a_person_is_found(normalizer, typed, phrase):
    found = find_person_request(normalizer.normalize(typed).text)
    assert found is not None
    assert found.phrase == phrase


@pytest.mark.parametrize(
    "typed",
    [
        # Declined.
        "不用转人工，我自己看看",
        "不需要人工，谢谢",
        "别转人工了",
        "别再把我转人工了",
        "不要把我转给刚才那个客服",
        "我不要人工客服",
        "无需人工",
        # Named, not asked for.
        "人工客服也是念稿子，跟机器人有什么区别",
        "从早上等到晚上，人工一直排队",
        "答应给我回电话，到现在都没打",
        "客服还没给我回电话",
        "昨天客服给我打电话说没货了",
        "快递员联系我了",
        "别人打我电话一直说关机",
        "刚刚你们客服打电话给我了",
        "请不要再打电话给我推销了",
        "联通手机可以拨打我的电话，移动的打不进来",
        "已联系人工投诉",
        "请问刚才是你们给我打电话了吗",
        "7月3日客服联系我，说是线路问题",
        "修好了给我回电话，结果一直没消息",
        # Reports of trying to reach a person.
        "打10010转人工都没人接",
        "转人工 坐席忙",
        "好不容易转到人工，又让我等",
        "刚在app上和人工客服说了",
        "一直打不通，无法接通人工服务",
        "打了几个电话叫人来修",
        "打了好几次电话也没人联系我",
        "快递员打电话联系我说放驿站了",
        "我已经联系过专员了",
        "昨天客服给我电话说没货了",
        "客服说会联系我",
        "请问快递员联系我了吗",
        "可以让快递员联系我们吗",
        "明天上门取件的话请联系我的手机",
        "主管说明天给我答复",
        # Numbers and earlier agents named, not asked for.
        "3号客服说给我退款的",
        "刚才那个客服态度很差",
        "我要转3号线地铁过去",
        "怎么找之前的客服聊天记录",
        "客服说转给2号专员处理",
        "我昨天找3号客服退款了",
        "我找618的客服问了价保",
        "接3号客服的电话",
        "刚才那个客服说转给你",
        "如有问题请拨打[数字x]联系我们",
        "有问题请拨打4001234567联系我们",
        # Other senses of 人工 and 真人.
        "你是人工智能吗",
        "安装要人工费吗",
        "退款需要人工审核吗",
        "你是真人吗",
        "你是活人嗎",
        # Service hours (an FAQ), not a request now.
        "晚上有人工吗",
        "星期天人工在不在",
        # Nothing about a person.
        "我的快递到哪了",
        "我要退货",
        "",
    ],
)
def test_no_request_for_a_person(normalizer, typed):
    assert find_person_request(normalizer.normalize(typed).text) is None


def test_offsets_point_at_the_request(normalizer):
    text = normalizer.normalize("你好，我的快递到哪了 我要转人工").text
    found = find_person_request(text)
    assert found is not None
    assert text[found.start : found.end] == "我要转人工"


def classified(text: str, ranking: list[tuple[str, float]]) -> Message:
    entries = [{"name": name, "confidence": value} for name, value in ranking]
    return Message(
        data={"text": text, "intent": entries[0], "intent_ranking": entries},
        output_properties={"intent", "intent_ranking"},
    )


def override() -> PersonRequestOverride:
    return PersonRequestOverride(PersonRequestOverride.get_default_config())


def test_a_request_wins_and_the_rest_of_the_ranking_is_kept():
    message = classified(
        "我要转人工 快点派送啊",
        [("track_delivery", 0.7), ("human_handoff", 0.2), ("complain", 0.1)],
    )
    override().process([message])
    assert message.get("intent") == {"name": "human_handoff", "confidence": 1.0}
    assert [e["name"] for e in message.get("intent_ranking")] == [
        "human_handoff",
        "track_delivery",
        "complain",
    ]
    assert message.get(PERSON_REQUEST) == {
        "phrase": "我要转人工",
        "replaced_intent": {"name": "track_delivery", "confidence": 0.7},
    }
    parsed = message.as_dict(only_output_properties=True)
    assert parsed[PERSON_REQUEST]["replaced_intent"]["name"] == "track_delivery"


def test_a_fallback_is_overridden_too():
    message = classified("人工 在吗", [("nlu_fallback", 0.45), ("greet", 0.3)])
    override().process([message])
    assert message.get("intent")["name"] == "human_handoff"


def test_a_message_without_a_request_is_left_alone():
    ranking = [("track_delivery", 0.9), ("human_handoff", 0.1)]
    message = classified("不用转人工，快递到哪了", ranking)
    override().process([message])
    assert message.get("intent") == {"name": "track_delivery", "confidence": 0.9}
    assert message.get(PERSON_REQUEST) is None


def test_the_intent_name_comes_from_the_config():
    message = classified("转人工", [("greet", 0.9)])
    PersonRequestOverride({"intent": "agent"}).process([message])
    assert message.get("intent")["name"] == "agent"


@pytest.mark.parametrize(
    "typed",
    [
        "不用转人工",
        "不需要人工了，谢谢",
        "人工就不用了",
        "别给我转人工",
        "先不用找人工客服",
        "無需真人",
        "人工客服暂时不用",
        "不用转人工，我自己再看看",
    ],
)
def test_a_refusal_of_a_person_is_found(normalizer, typed):
    assert refuses_person(normalizer.normalize(typed).text)


@pytest.mark.parametrize(
    "typed",
    [
        "我要转人工",
        "人工客服",
        "不给我转人工我就投诉",  # a threat: the clause goes on with a condition
        "不用了",
        "刚和人工客服说了",
        "我的快递到哪了",
        "不用转人工，算了，还是给我转人工吧",  # the request wins
    ],
)
def test_no_refusal_of_a_person(normalizer, typed):
    assert not refuses_person(normalizer.normalize(typed).text)


def test_a_refusal_read_as_a_request_becomes_deny():
    message = classified(
        "不用转人工了", [("human_handoff", 0.96), ("faq", 0.02), ("deny", 0.01)]
    )
    override().process([message])
    assert message.get("intent") == {"name": "deny", "confidence": 1.0}
    names = [e["name"] for e in message.get("intent_ranking")]
    assert names == ["deny", "faq"]
    assert message.get(PERSON_REFUSAL) == {
        "replaced_intent": {"name": "human_handoff", "confidence": 0.96}
    }
    assert message.get(PERSON_REQUEST) is None


def test_a_refusal_with_another_question_keeps_that_question():
    message = classified(
        "不用转人工，快递到哪了",
        [("human_handoff", 0.5), ("nlu_fallback", 0.45), ("track_delivery", 0.4)],
    )
    override().process([message])
    assert message.get("intent")["name"] == "track_delivery"


def test_a_refusal_the_classifiers_read_right_is_left_alone():
    message = classified("不用转人工了", [("deny", 0.8), ("human_handoff", 0.15)])
    override().process([message])
    assert message.get("intent") == {"name": "deny", "confidence": 0.8}
    assert message.get(PERSON_REFUSAL) is None


def test_the_refusal_intent_comes_from_the_config():
    message = classified("人工就不用了", [("human_handoff", 0.9), ("greet", 0.05)])
    PersonRequestOverride({"refusal_intent": "decline"}).process([message])
    assert message.get("intent")["name"] == "decline"
