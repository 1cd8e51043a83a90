"""The demo membership catalogue: every tier's benefits and the rewards on offer.

Reward ids never change, so tests and the README can name them; offer end dates
are relative to ``today``, so one reward has always just ended. Against the demo
customers (王芳 8,799 points, 李强 9,499, 张伟 1,700, 刘洋 380) the cheap rewards
are affordable to most and the dear ones to none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class SeedBenefit:
    """One benefit of a tier."""

    code: str
    title: str
    detail: str


@dataclass(frozen=True)
class SeedReward:
    """A reward; ``stock`` None is unlimited, ``valid_until`` None never ends."""

    reward_id: str
    name: str
    kind: str
    points: int
    stock: int | None
    valid_until: date | None
    code_valid_days: int


_POINTS = SeedBenefit(
    "points_earning", "购物返积分", "每消费1元得1积分，积分可兑换优惠券和礼品"
)
_FREE_SHIPPING = SeedBenefit(
    "free_shipping", "全年包邮", "全年订单免运费，生鲜冷链商品除外"
)
_RETURN_SHIPPING = SeedBenefit(
    "return_shipping", "退货运费险", "七天无理由退货的寄回运费由小客承担"
)

TIER_BENEFITS: dict[str, tuple[SeedBenefit, ...]] = {
    "regular": (
        _POINTS,
        SeedBenefit("birthday_coupon", "生日5元券", "生日当月可领5元无门槛券"),
    ),
    "silver": (
        _POINTS,
        SeedBenefit("birthday_coupon", "生日20元券", "生日当月可领20元无门槛券"),
        SeedBenefit(
            "shipping_coupons", "每月2张包邮券", "每月1日发放2张包邮券，当月有效"
        ),
    ),
    "gold": (
        _POINTS,
        SeedBenefit("birthday_coupon", "生日50元券", "生日当月可领50元无门槛券"),
        _FREE_SHIPPING,
        _RETURN_SHIPPING,
        SeedBenefit("priority_service", "客服优先接入", "人工客服排队时优先接入"),
    ),
    "diamond": (
        _POINTS,
        SeedBenefit("birthday_coupon", "生日100元券", "生日当月可领100元无门槛券"),
        _FREE_SHIPPING,
        _RETURN_SHIPPING,
        SeedBenefit("priority_service", "专属客服", "专属客服一对一服务，7×24小时在线"),
        SeedBenefit("price_protection", "30天价保", "购买后30天内降价，退还差价"),
    ),
}


def build_rewards(today: date) -> tuple[SeedReward, ...]:
    """Return the rewards catalogue of the demo shop on a given day.

    Args:
        today: The day the data set is relative to (Beijing time).

    Returns:
        Eight rewards, cheapest first: seven on offer (one out of stock, two
        dearer than any demo customer's balance) and one whose offer ended
        yesterday.
    """

    def days(count: int) -> date:
        return today + timedelta(days=count)

    return (
        SeedReward("cpn-5", "5元无门槛券", "coupon", 500, None, days(365), 30),
        SeedReward("gift-cable", "小客 Type-C 编织快充线", "gift", 1500, 120, None, 30),
        SeedReward("gift-tote", "小客帆布托特包", "gift", 1000, 0, None, 30),
        SeedReward("cpn-20", "20元无门槛券", "coupon", 2000, 57, days(130), 30),
        SeedReward("cpn-50-300", "满300减50券", "coupon", 4000, 200, days(130), 30),
        SeedReward("cpn-100-1000", "满1000减100券", "coupon", 10000, 30, days(130), 30),
        SeedReward("gift-air2", "小客 Air2 真无线蓝牙耳机", "gift", 30000, 5, None, 60),
        SeedReward("cpn-double11", "双十一10元券", "coupon", 800, None, days(-1), 15),
    )
