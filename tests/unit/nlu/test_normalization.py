"""The normaliser: what it changes, what it leaves, and where offsets point."""

import pytest

from bot.rasa_server.nlu.normalization import TextNormalizer, numeral_replacements


@pytest.fixture(scope="module")
def normalizer() -> TextNormalizer:
    return TextNormalizer.default()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("我的訂單到哪裡了", "我的订单到哪里了"),
        ("ＪＤ２０２３１１２３", "jd20231123"),
        ("查下物流谢谢🙏", "查下物流谢谢 "),
        ("我的ORDER到哪了", "我的order到哪了"),
        ("退貨說明書", "退货说明书"),
        ("乾淨嗎", "干净吗"),
        ("後天發貨麼", "后天发货么"),
        ("👍🏻好评", "  好评"),
        ("在吗\u200b\u200b", "在吗  "),
        ("ＸＫ２０２４１１１１０００１到哪了？", "xk202411110001到哪了?"),
        ("耳机\u3000坏了", "耳机 坏了"),
    ],
)
def test_length_preserving_normalisation(normalizer, typed, expected):
    result = normalizer.normalize(typed)
    assert result.text == expected
    assert len(result.text) == len(typed)
    assert result.spans == tuple((i, i + 1) for i in range(len(typed)))


@pytest.mark.parametrize(
    "already_simplified",
    ["万一坏了怎么办", "一坏就是好几天", "手机坏了", "什么时候发货", "这个面膜怎么样"],
)
def test_simplified_text_is_never_changed_by_phrase_conversion(
    normalizer, already_simplified
):
    # OpenCC's t2s phrase table turns 一坏 into 一坯; a simplified character stays.
    assert normalizer.normalize(already_simplified).text == already_simplified


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("退两件", "退2件"),
        ("第二个订单", "第2个订单"),
        ("十一月五号买的", "11月5号买的"),
        ("三千积分", "3000积分"),
        ("一百二十元", "120元"),
        ("下午两点送", "下午2点送"),
        ("二零二四年买的", "2024年买的"),
        ("等了三个小时", "等了3个小时"),
    ],
)
def test_chinese_numerals_used_as_numbers_become_digits(normalizer, typed, expected):
    assert normalizer.normalize(typed).text == expected


@pytest.mark.parametrize(
    "typed",
    ["查一下", "一直没到", "万一坏了", "两三天到吗", "一点都不好", "一样的", "一起发"],
)
def test_numerals_inside_words_and_ranges_stay(normalizer, typed):
    assert normalizer.normalize(typed).text == typed


def test_offsets_map_back_across_a_numeral_change(normalizer):
    typed = "退两件，订单ＸＫ２０２４１１１１０００１"
    result = normalizer.normalize(typed)
    assert result.text == "退2件,订单xk202411110001"
    start = result.text.index("xk")
    original = result.to_original(start, start + 14)
    assert typed[original[0] : original[1]] == "ＸＫ２０２４１１１１０００１"
    # the digit that replaced 两 points at 两
    assert result.to_original(1, 2) == (1, 2)


def test_numeral_spans_map_to_the_whole_original_numeral(normalizer):
    result = normalizer.normalize("第一百二十个")
    assert result.text == "第120个"
    assert result.to_original(1, 4) == (1, 5)
    assert result.to_normalized(1, 5) == (1, 4)


def test_to_normalized_finds_entities_annotated_on_the_original(normalizer):
    typed = "两件衣服，三十天内能退吗 XK202411110001"
    result = normalizer.normalize(typed)
    start = typed.index("XK")
    n_start, n_end = result.to_normalized(start, start + 14)
    assert result.text[n_start:n_end] == "xk202411110001"


def test_empty_span_maps_to_a_position():
    result = TextNormalizer().normalize("abc")
    assert result.to_original(3, 3) == (3, 3)
    assert result.to_original(1, 1) == (1, 1)


def test_normaliser_without_converters_only_does_width_case_and_noise():
    result = TextNormalizer().normalize("訂單ＡＢ😀")
    assert result.text == "訂單ab "


def test_numeral_replacements_reports_positions():
    found = numeral_replacements("第三件和五个", lambda run: {"三": 3, "五": 5}[run])
    assert found == [(1, 2, "3"), (4, 5, "5")]


def test_unparseable_numeral_is_left_alone():
    def refuse(run: str) -> int:
        raise ValueError(run)

    assert numeral_replacements("十几个", refuse) == []


@pytest.mark.parametrize(
    ("typed", "kept", "gone"),
    [
        (
            "咨询订单号:123456789012 订单金额:199.00 "
            "下单时间:2024-05-01 10:20:30 还没到",
            ["123456789012", "还没到"],
            ["咨询订单号", "订单金额", "199.00", "下单时间", "10:20:30"],
        ),
        # Full-width colons, masked values, header after the question.
        (
            "明天能到吗 咨询订单号：[订单x] 订单金额：[金额x] 下单时间：[日期x]",
            ["明天能到吗", "[订单x]"],
            ["咨询订单号", "订单金额", "[金额x]", "下单时间", "[日期x]"],
        ),
        # A shopper's own words about an amount are no header.
        ("订单金额不对啊", ["订单金额不对啊"], []),
        # The bracketed header with 订单编号 and masked values, and a product id.
        (
            "[订单编号:[订单x]，订单金额:[金额x]，下单时间:[日期x] [时间x]] 能送到吗",
            ["[订单x]", "能送到吗"],
            ["订单编号", "订单金额", "[金额x]", "[日期x]", "[时间x]"],
        ),
        (
            "咨询订单号:[订单x] 商品ID:100012345 什么时候到",
            ["[订单x]", "什么时候到"],
            ["商品id", "100012345"],
        ),
        # Markers apps put in front of a chat go; the greeting stays.
        ("在吗 京东快递（移动端）", ["在吗"], ["京东快递", "移动端"]),
        ("订单业务咨询 我要退货", ["我要退货"], ["订单业务咨询"]),
        (
            "顾客通过点击web咚咚[站点x]信息发送:[订单编号:[订单x]] 在吗",
            ["[订单x]", "在吗"],
            ["顾客通过点击", "信息发送", "订单编号"],
        ),
        # The shopper's own question about the number keeps its words.
        ("订单编号在哪看", ["订单编号在哪看"], []),
    ],
)
def test_an_apps_order_header_is_blanked_but_the_order_number_stays(
    normalizer, typed, kept, gone
):
    result = normalizer.normalize(typed)
    assert len(result.text) == len(typed)  # offsets untouched
    for text in kept:
        assert text in result.text
    for text in gone:
        assert text not in result.text
    start = result.text.index(kept[0])
    assert result.to_original(start, start + len(kept[0])) == (
        typed.index(kept[0]) if kept[0] in typed else start,
        (typed.index(kept[0]) if kept[0] in typed else start) + len(kept[0]),
    )


def _blanked(text: str, *parts: str) -> str:
    for part in parts:
        text = text.replace(part, " " * len(part))
    return text


@pytest.mark.parametrize(
    ("typed", "blanked"),
    [
        ("请返还积分@某某电信客服", ["@某某电信客服"]),
        ("@某某客服 积分怎么没了", ["@某某客服"]),
        (
            "兑换不了 @某客服 我在这里:http://t.cn/abc12",
            ["@某客服", "http://t.cn/abc12"],
        ),
        ("看下www.example.com/a这个", ["www.example.com/a"]),
    ],
)
def test_social_media_handles_and_links_become_spaces(normalizer, typed, blanked):
    result = normalizer.normalize(typed)

    assert result.text == _blanked(typed, *blanked)
    assert len(result.text) == len(typed)


@pytest.mark.parametrize(
    "typed",
    ["@小客我的快递呢", "@小客", "发票发到abc@qq.com", "订单xk123.5元"],
)
def test_an_at_sign_that_is_no_handle_is_kept(normalizer, typed):
    assert normalizer.normalize(typed).text == typed.lower()
