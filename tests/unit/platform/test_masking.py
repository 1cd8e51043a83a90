"""Each kind of personal data is masked, and nothing else is touched."""

from __future__ import annotations

import pytest

from bot.platform.masking import mask_data, mask_name, mask_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的手机13800138000", "我的手机138****8000"),
        ("手机 138 0013 8000 谢谢", "手机 138****8000 谢谢"),
        ("138-0013-8000", "138****8000"),
        ("电话：１３８００１３８０００", "电话：138****8000"),
        ("19912345678和15000000001", "199****5678和150****0001"),
    ],
)
def test_mobile_numbers_keep_prefix_and_last_four(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("身份证310101199001011234", "身份证3101**********1234"),
        ("身份证号31010119900101123X", "身份证号3101**********123X"),
        ("３１０１０１１９９００１０１１２３ｘ", "3101**********123X"),
        ("卡号6222021234567890123", "卡号6222***********0123"),
        ("卡号 6222 0212 3456 7890 退到这", "卡号 6222********7890 退到这"),
        ("卡号6222021234567890", "卡号6222********7890"),
    ],
)
def test_id_and_bank_card_numbers_keep_first_and_last_four(
    text: str, expected: str
) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("地址上海市浦东新区世纪大道100号", "地址上海市浦东新区****"),
        ("广东省深圳市南山区科技园路1号3栋502室", "广东省深圳市南山区****"),
        ("北京市朝阳区建国路88号5号楼1201室，周末送", "北京市朝阳区****，周末送"),
        ("寄到杭州市西湖区文三路478号", "寄到杭州市西湖区****"),
    ],
)
def test_addresses_keep_the_region_and_mask_the_street(
    text: str, expected: str
) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("收货人：王芳，电话13800138000", "收货人：王*，电话138****8000"),
        ("姓名 李小明", "姓名 李**"),
        ("联系人:欧阳娜娜。", "联系人:欧***。"),
        ("收件人张伟电话13800138000", "收件人张*电话138****8000"),
    ],
)
def test_labelled_names_keep_the_surname(text: str, expected: str) -> None:
    assert mask_text(text) == expected


def test_known_customer_names_are_masked_anywhere() -> None:
    assert mask_text("我是王芳，王芳的快递", known_names=["王芳"]) == (
        "我是王*，王*的快递"
    )


@pytest.mark.parametrize(
    "text",
    [
        "我的快递到哪了",
        "订单XK202411110001",
        "SF123456789012到哪了",
        "EA123456789CN",
        "序列号SN8H2K4M9Q1Z",
        "退货单RMA202411150001",
        "满100减20，还剩3天",
        "上海市浦东新区",
        "",
    ],
)
def test_text_without_personal_data_is_unchanged(text: str) -> None:
    assert mask_text(text) == text


def test_mask_name_keeps_one_character() -> None:
    assert mask_name("王芳") == "王*"
    assert mask_name("") == ""


def test_mask_data_masks_nested_strings_and_keeps_keys() -> None:
    summary = {
        "last_message": "我的电话13800138000",
        "slots": {"phone": "13800138000", "count": 2},
        "order_numbers": ["XK202411110001"],
    }
    assert mask_data(summary) == {
        "last_message": "我的电话138****8000",
        "slots": {"phone": "138****8000", "count": 2},
        "order_numbers": ["XK202411110001"],
    }
