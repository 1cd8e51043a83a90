"""Which reward the shopper means, and the key of a confirming turn (no I/O)."""

import pytest
from rasa_sdk import Tracker

from actions.membership import asked_tier, redeemable
from actions.redemption import (
    idempotency_key,
    is_plain_yes,
    is_unknown_reward,
    match_reward,
)


def reward(reward_id, name, points, stock=None, affordable=True):
    return {
        "reward_id": reward_id,
        "name": name,
        "kind": "coupon" if "券" in name else "gift",
        "points": points,
        "stock": stock,
        "valid_until": None,
        "affordable": affordable,
    }


REWARDS = [
    reward("cpn-5", "5元无门槛券", 500),
    reward("gift-cable", "小客 Type-C 编织快充线", 1500, stock=120),
    reward("gift-tote", "小客帆布托特包", 1000, stock=0),
    reward("cpn-20", "20元无门槛券", 2000, stock=57),
    reward("cpn-50-300", "满300减50券", 4000, stock=200),
    reward("cpn-100-1000", "满1000减100券", 10000, affordable=False),
    reward("gift-air2", "小客 Air2 真无线蓝牙耳机", 30000, stock=5, affordable=False),
]


@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("cpn-20", "cpn-20"),  # a button
        ("用积分换20元券", "cpn-20"),
        ("我要兑换20元无门槛券", "cpn-20"),
        ("兑一张20块的券", "cpn-20"),
        ("用積分換２０元券", "cpn-20"),
        ("换个5元的", "cpn-5"),
        ("50元那张", "cpn-50-300"),
        ("满1000减100", "cpn-100-1000"),
        ("拿积分换个耳机", "gift-air2"),
        ("换那个快充线", "gift-cable"),
        ("托特包", "gift-tote"),
        ("用1500积分换个东西", "gift-cable"),  # the price, not an amount
        ("我要用积分换东西", None),
        ("换张券", None),  # several coupons
        ("兑换满减券", None),  # two of them
        ("小客耳机", "gift-air2"),
        ("帆布包", "gift-tote"),
        ("积分换个扫地机器人", None),
        ("换200元券", None),  # 20 is not 200
    ],
)
def test_the_reward_the_shopper_means(said, expected):
    found = match_reward(REWARDS, said)
    assert (found["reward_id"] if found else None) == expected


@pytest.mark.parametrize(
    ("said", "unknown"),
    [
        ("我要用积分换东西", False),  # names nothing: just ask which
        ("我要兑换积分", False),
        ("兑换满减券", False),  # two fit: ask which
        ("积分换个扫地机器人", True),
        ("换200元券", True),
        ("数据线", True),
    ],
)
def test_whether_the_shopper_named_something_not_on_offer(said, unknown):
    assert is_unknown_reward(REWARDS, said) is unknown


@pytest.mark.parametrize(
    ("said", "yes"),
    [
        ("确认兑换", True),
        ("确定兑换", True),
        ("对，就换这个", True),
        ("好的换吧", True),
        ("不换了", False),
        ("不确定", False),
        ("还是换50元的吧", False),  # another reward
        ("换个耳机", False),
    ],
)
def test_a_plain_yes_to_the_redemption(said, yes):
    assert is_plain_yes(said) is yes


def test_redeemable_means_affordable_and_in_stock():
    assert [r["reward_id"] for r in redeemable(REWARDS)] == [
        "cpn-5",
        "gift-cable",
        "cpn-20",
        "cpn-50-300",
    ]


TIERS = [
    {"tier": code, "name": name, "threshold": threshold, "benefits": []}
    for code, name, threshold in (
        ("regular", "普通会员", 0),
        ("silver", "银卡会员", 2000),
        ("gold", "金卡会员", 10000),
    )
]


def test_the_highest_named_tier_is_the_one_asked_about():
    assert asked_tier(["regular", "silver"], TIERS)["tier"] == "silver"
    assert asked_tier("gold", TIERS)["tier"] == "gold"
    assert asked_tier("diamond", TIERS) is None  # unknown to this CRM
    assert asked_tier(None, TIERS) is None


def tracker(timestamp: float, reward: str = "cpn-20") -> Tracker:
    return Tracker.from_dict(
        {
            "sender_id": "rest:someone",
            "slots": {"customer_id": "C100001", "reward": reward},
            "latest_message": {"text": "确认", "intent": {"name": "affirm"}},
            "events": [{"event": "user", "text": "确认", "timestamp": timestamp}],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        }
    )


def test_the_key_is_one_per_confirming_turn_and_reward():
    assert idempotency_key(tracker(1.0)) == idempotency_key(tracker(1.0))
    assert idempotency_key(tracker(1.0)) != idempotency_key(tracker(2.0))
    assert idempotency_key(tracker(1.0)) != idempotency_key(tracker(1.0, "cpn-5"))
