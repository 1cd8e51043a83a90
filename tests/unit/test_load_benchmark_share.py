"""The load benchmark's passive share of WeChat turns."""

from benchmarks.load import WeChatTurns, overall_passive_percent, passive_percent


def test_passive_share_counts_answered_turns_only():
    assert passive_percent(WeChatTurns(passive=19, late=1, retried=3)) == 95.0
    assert passive_percent(WeChatTurns()) == 0.0


def test_overall_share_weighs_levels_by_their_turns():
    report = {
        "profiles": {
            "embedded": {
                "rest": [{"passive": 0, "customer_service": 0}],
                "wechat": [
                    {"passive": 9, "customer_service": 1},
                    {"passive": 88, "customer_service": 2},
                ],
            },
            "production": {"wechat": [{"passive": 0, "customer_service": 0}]},
        }
    }
    assert overall_passive_percent(report) == 97.0
    assert overall_passive_percent({"profiles": {"embedded": {"rest": []}}}) is None
