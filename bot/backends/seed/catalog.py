"""Products, catalogue listings, names and cities the demo data set is drawn from."""

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


@dataclass(frozen=True)
class Variant:
    """A SKU of a catalogue listing: a colour and/or size, its price and stock."""

    sku: str
    label: str
    price_fen: int
    stock: int


@dataclass(frozen=True)
class Spec:
    """A key spec; ``name`` empty means the key's usual Chinese name."""

    key: str
    value: str
    name: str = ""


@dataclass(frozen=True)
class Offer:
    """A promotion, dated in days from the seed's day (negative: in the past)."""

    label: str
    price_fen: int
    starts_in_days: int
    ends_in_days: int


@dataclass(frozen=True)
class Listing:
    """A catalogue product: what shoppers call it, its SKUs, specs and FAQs."""

    product_id: str
    name: str
    category: str
    aliases: tuple[str, ...]
    variants: tuple[Variant, ...]
    specs: tuple[Spec, ...]
    faqs: tuple[tuple[str, str], ...]
    offers: tuple[Offer, ...] = ()


# Every SKU of PRODUCTS is a variant here at the same price; the other variants
# exist only in the catalogue (nobody has ordered them yet).
LISTINGS: tuple[Listing, ...] = (
    Listing(
        "x1",
        "小客 X1 智能手机",
        "phone",
        ("X1", "x1", "X1手机", "x1手机", "小客X1", "小客x1"),
        (
            Variant("PH-X1-256-BLK", "曜石黑 / 256GB", 399900, 86),
            Variant("PH-X1-256-WHT", "云白 / 256GB", 399900, 0),
            Variant("PH-X1-512-BLK", "曜石黑 / 512GB", 449900, 35),
        ),
        (
            Spec("screen", "6.7英寸 OLED 直屏，120Hz 高刷"),
            Spec("battery", "5000mAh，正常使用一天一充"),
            Spec("charging", "67W 有线快充，约 40 分钟充满"),
            Spec("storage", "12GB 运行内存 + 256GB 或 512GB 存储，不支持存储卡"),
            Spec("waterproof", "IP68 防尘防水"),
            Spec("weight", "约 199g"),
        ),
        (
            ("支持双卡双待吗", "支持双 nano-SIM 卡双卡双待，两张卡都能用 5G。"),
            ("包装里有充电器吗", "有的，包装内含 67W 充电器和 USB-C 数据线。"),
        ),
    ),
    Listing(
        "x1-pro",
        "小客 X1 Pro 智能手机",
        "phone",
        ("X1 Pro", "x1 pro", "X1Pro", "x1pro", "X1 Pro手机", "小客X1 Pro"),
        (
            Variant("PH-X1P-512-WHT", "云白 / 512GB", 599900, 42),
            Variant("PH-X1P-512-BLK", "曜石黑 / 512GB", 599900, 18),
            Variant("PH-X1P-1T-BLK", "曜石黑 / 1TB", 699900, 6),
        ),
        (
            Spec("screen", "6.8英寸 2K OLED 曲面屏，120Hz 高刷"),
            Spec("battery", "5500mAh，重度使用也能用一天"),
            Spec("charging", "100W 有线快充，50W 无线快充"),
            Spec("storage", "16GB 运行内存 + 512GB 或 1TB 存储"),
            Spec("waterproof", "IP68 防尘防水"),
            Spec("weight", "约 221g"),
        ),
        (
            ("支持无线充电吗", "支持 50W 无线快充，还能给耳机反向无线充电。"),
            (
                "X1 Pro 和 X1 有什么区别",
                "X1 Pro 屏幕更大、是 2K 分辨率，充电更快并支持无线充电；"
                "X1 更轻，价格更实惠。",
            ),
        ),
    ),
    Listing(
        "air2",
        "小客 Air2 真无线蓝牙耳机",
        "audio",
        ("Air2", "air2", "Air2耳机", "air2耳机", "小客Air2", "Air 2"),
        (
            Variant("EB-AIR2-WHT", "白色", 49900, 120),
            Variant("EB-AIR2-BLK", "黑色", 49900, 64),
        ),
        (
            Spec("battery", "耳机单次约 6 小时，加充电盒总续航约 30 小时"),
            Spec("waterproof", "IPX4 生活防水，防汗防溅，不能戴着游泳"),
            Spec("noise_cancelling", "通话降噪（双麦克风），没有主动降噪"),
            Spec("charging", "USB-C 充电，充 10 分钟可听约 2 小时"),
            Spec("compatibility", "蓝牙 5.3，苹果和安卓手机、平板都能连接"),
            Spec("weight", "单只耳机约 4.5g"),
        ),
        (
            (
                "能连接苹果手机吗",
                "可以，Air2 用标准蓝牙 5.3 连接，苹果和安卓手机都能用；"
                "开盖弹窗秒连只在小客手机上有。",
            ),
            ("一只耳机能单独用吗", "可以，左耳右耳都能单独使用。"),
            ("充电盒支持无线充电吗", "不支持，充电盒只能用 USB-C 线充电。"),
        ),
        (Offer("限时直降50元", 44900, -3, 14),),
    ),
    Listing(
        "anc3",
        "小客 ANC3 头戴式降噪耳机",
        "audio",
        ("ANC3", "anc3", "ANC3耳机", "anc3耳机", "小客ANC3", "头戴式降噪耳机"),
        (
            Variant("HP-ANC3-BLK", "黑色", 129900, 25),
            Variant("HP-ANC3-GRY", "雾灰", 129900, 9),
        ),
        (
            Spec("noise_cancelling", "主动降噪最深 45dB，三档可调，带通透模式"),
            Spec("battery", "开降噪约 40 小时，关降噪约 60 小时"),
            Spec("charging", "USB-C 快充，充 10 分钟可听约 5 小时"),
            Spec("compatibility", "蓝牙 5.3 和 3.5mm 有线，可同时连两台设备"),
            Spec("weight", "约 250g"),
        ),
        (
            ("戴眼镜会压耳朵吗", "耳罩是记忆海绵，头梁可调，戴眼镜久戴也不太压。"),
            ("能接电脑用吗", "可以，电脑用蓝牙或附带的 3.5mm 音频线连接都行。"),
        ),
        # Ended yesterday: shows that a past promotion is no longer offered.
        (Offer("双十一到手价", 109900, -20, -1),),
    ),
    Listing(
        "s7",
        "小客 S7 扫地机器人",
        "appliance",
        ("S7", "s7", "S7扫地机", "s7扫地机", "扫地机器人", "扫地机"),
        (Variant("AP-RB-S7", "白色", 249900, 31),),
        (
            Spec("power", "吸力 6000Pa"),
            Spec("battery", "5200mAh，标准模式约 180 分钟，一次可扫约 250 平米"),
            Spec("capacity", "尘盒 400ml，水箱 200ml"),
            Spec("size", "直径 35cm，高 9.7cm，能进沙发和床底"),
            Spec("installation", "不用安装，放好充电座、连上 App 就能用"),
        ),
        (
            ("能拖地吗", "可以，扫拖一体，装上水箱和拖布就能边扫边拖。"),
            ("能过门槛吗", "能越过 2cm 以内的门槛。"),
        ),
    ),
    Listing(
        "air-fryer-5l",
        "小客 5L 空气炸锅",
        "appliance",
        ("空气炸锅", "5L空气炸锅", "5l空气炸锅", "炸锅", "小客空气炸锅"),
        (Variant("AP-AF-5L", "奶白", 39900, 58),),
        (
            Spec("capacity", "5L，适合 2 到 4 人"),
            Spec("power", "1500W"),
            Spec("size", "约 27 × 33 × 31cm"),
            Spec("material", "不粘涂层炸篮，不含 PFOA"),
        ),
        (
            ("炸篮能用洗碗机洗吗", "可以，炸篮和烤盘都能放进洗碗机。"),
            ("需要预热吗", "大多数食物不用预热，烤肉类预热 3 分钟口感更好。"),
        ),
    ),
    Listing(
        "kettle",
        "小客 1.7L 电热水壶",
        "appliance",
        ("电热水壶", "热水壶", "烧水壶", "1.7L电热水壶", "小客水壶"),
        (Variant("AP-KT-17", "白色", 12900, 140),),
        (
            Spec("capacity", "1.7L"),
            Spec("power", "1800W，约 5 分钟烧开一壶"),
            Spec("material", "内胆 304 不锈钢"),
            Spec("weight", "约 1.1kg"),
        ),
        (
            ("有保温功能吗", "这款没有保温功能，水烧开后自动断电。"),
            ("干烧会有危险吗", "有防干烧保护，壶里没水会自动断电。"),
        ),
    ),
    Listing(
        "charger-65w",
        "65W 氮化镓快充充电器",
        "accessory",
        ("65W充电器", "65w充电器", "氮化镓充电器", "氮化镓", "快充头", "充电头"),
        (Variant("AC-CHG-65W", "白色", 14900, 200),),
        (
            Spec("power", "单口最大 65W，多口同时用时自动分配"),
            Spec(
                "compatibility",
                "2 个 USB-C + 1 个 USB-A，支持 PD/PPS，手机、平板和大部分笔记本都能充",
            ),
            Spec("size", "约 5 × 5 × 3cm，插脚可折叠"),
            Spec("weight", "约 110g"),
        ),
        (
            (
                "能给苹果笔记本充电吗",
                "能给 MacBook Air 充电；MacBook Pro 也能充，只是比原装充电器慢一些。",
            ),
        ),
    ),
    Listing(
        "ha-serum",
        "玻尿酸保湿精华液",
        "skincare",
        ("玻尿酸精华", "玻尿酸精华液", "保湿精华", "精华液", "玻尿酸"),
        (
            Variant("SK-HA-SERUM", "30ml", 19900, 75),
            Variant("SK-HA-SERUM-50", "50ml", 29900, 40),
        ),
        (
            Spec("capacity", "30ml / 50ml 两种"),
            Spec("skin_type", "各种肤质都适用，干皮和混合皮尤其合适"),
            Spec("shelf_life", "未开封 3 年，开封后 6 个月内用完"),
            Spec("origin", "中国上海"),
        ),
        (
            ("敏感肌能用吗", "不含酒精和香精，敏感肌可以先在耳后试用一天。"),
            ("白天能用吗", "早晚都可以用，白天用完记得涂防晒。"),
        ),
    ),
    Listing(
        "sunscreen-spf50",
        "清透防晒乳 SPF50+",
        "skincare",
        ("防晒乳", "防晒霜", "清透防晒乳", "SPF50防晒", "spf50防晒"),
        (Variant("SK-SUN-50", "50ml", 12800, 90),),
        (
            Spec("waterproof", "防水防汗，游泳或大量出汗后请补涂"),
            Spec("skin_type", "油皮和混合皮；敏感肌建议先在耳后试用"),
            Spec("capacity", "50ml"),
            Spec("shelf_life", "未开封 3 年，开封后 12 个月内用完"),
            Spec("origin", "日本"),
        ),
        (
            ("需要卸妆吗", "建议用温和的卸妆产品或洗面奶洗两遍。"),
            ("能当妆前乳用吗", "可以，质地清透不泛白，涂完等一分钟再上妆。"),
        ),
    ),
    Listing(
        "cherry-gift",
        "智利车厘子礼盒装",
        "fresh_food",
        ("车厘子", "智利车厘子", "车厘子礼盒", "樱桃"),
        (
            Variant("FF-CHERRY-2KG", "2kg / JJ级", 26800, 12),
            Variant("FF-CHERRY-1KG", "1kg / JJ级", 14800, 0),
        ),
        (
            Spec("origin", "智利"),
            Spec("shelf_life", "冷藏（0 到 4℃）约 7 天，收到请尽快吃"),
            Spec("weight", "净重 2kg 或 1kg，不含包装"),
            Spec("size", "果径 28 到 30mm（JJ级）", "果径"),
        ),
        (
            ("有坏果怎么办", "签收 48 小时内拍照联系客服，坏果按重量补偿或补发。"),
            ("发什么快递", "顺丰冷链，全程冷藏发货。"),
        ),
    ),
    Listing(
        "engraved-case",
        "定制刻字手机壳",
        "custom",
        ("刻字手机壳", "定制手机壳", "手机壳", "刻字壳"),
        (
            Variant("CU-CASE-ENGR", "X1 款", 9900, 500),
            Variant("CU-CASE-ENGR-PRO", "X1 Pro 款", 9900, 300),
        ),
        (
            Spec("material", "亲肤硅胶边框 + 磨砂 PC 背板"),
            Spec("compatibility", "有 X1 和 X1 Pro 两款，下单时请选对机型"),
            Spec("installation", "卡扣式，直接套上即可"),
            Spec("weight", "约 30g"),
        ),
        (
            ("刻字要多久", "下单后 2 到 3 个工作日刻好发货。"),
            ("能退吗", "刻字后不支持七天无理由退货，有质量问题可以退换。"),
        ),
    ),
    Listing(
        "office-1y",
        "办公软件年度会员",
        "software",
        ("办公软件", "办公软件会员", "办公会员", "office会员", "Office会员"),
        (Variant("SW-OFFICE-1Y", "1年 / 激活码", 39900, 999),),
        (
            Spec(
                "compatibility",
                "Windows 10 及以上、macOS 12 及以上，手机端支持苹果和安卓",
            ),
            Spec("storage", "含 1TB 云存储空间"),
            Spec(
                "installation", "激活码发到订单页，登录账号输入激活码即可，不用装光盘"
            ),
        ),
        (
            ("一个激活码能用几台设备", "一个账号最多同时登录 5 台设备。"),
            (
                "激活码发了能退吗",
                "激活码发出后不支持无理由退货，没激活的可以联系客服。",
            ),
        ),
    ),
)
