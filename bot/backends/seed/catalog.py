"""Products, names and cities the demo data set is drawn from."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Product:
    """A catalogue product (price in fen)."""

    sku: str
    name: str
    category: str
    price_fen: int
    warranty_months: int
    serialised: bool


PRODUCTS: dict[str, Product] = {
    product.sku: product
    for product in (
        Product(
            "PH-X1-256-BLK", "小客 X1 智能手机 256GB 曜石黑", "phone", 399900, 12, True
        ),
        Product(
            "PH-X1P-512-WHT",
            "小客 X1 Pro 智能手机 512GB 云白",
            "phone",
            599900,
            12,
            True,
        ),
        Product(
            "EB-AIR2-WHT", "小客 Air2 真无线蓝牙耳机 白色", "audio", 49900, 12, True
        ),
        Product(
            "HP-ANC3-BLK", "小客 ANC3 头戴式降噪耳机 黑色", "audio", 129900, 12, True
        ),
        Product("AP-RB-S7", "小客 S7 扫地机器人", "appliance", 249900, 24, True),
        Product("AP-AF-5L", "小客 5L 空气炸锅", "appliance", 39900, 12, True),
        Product("AP-KT-17", "小客 1.7L 电热水壶", "appliance", 12900, 12, False),
        Product("AC-CHG-65W", "65W 氮化镓快充充电器", "accessory", 14900, 12, False),
        Product("SK-HA-SERUM", "玻尿酸保湿精华液 30ml", "skincare", 19900, 0, False),
        Product("SK-SUN-50", "清透防晒乳 SPF50+ 50ml", "skincare", 12800, 0, False),
        Product(
            "FF-CHERRY-2KG", "智利车厘子 2kg 礼盒装", "fresh_food", 26800, 0, False
        ),
        Product("CU-CASE-ENGR", "定制刻字手机壳", "custom", 9900, 0, False),
        Product(
            "SW-OFFICE-1Y", "办公软件年度会员（激活码）", "software", 39900, 0, False
        ),
    )
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "子涵",
    "浩然",
    "欣怡",
    "宇轩",
    "梓萱",
    "思远",
)
CITIES = (
    "上海市",
    "北京市",
    "广州市",
    "深圳市",
    "杭州市",
    "成都市",
    "武汉市",
    "南京市",
    "西安市",
    "重庆市",
    "苏州市",
    "长沙市",
    "天津市",
    "郑州市",
)
CARRIERS = ("SF", "ZT", "YT", "JD")
WAREHOUSE_CITY = "东莞市"
