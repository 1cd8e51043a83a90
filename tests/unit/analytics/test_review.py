"""Which shoppers' messages the review queue lists, and why."""

from __future__ import annotations

from typing import Any

from bot.analytics.events import EventRow
from bot.analytics.review import is_rephrase, review_candidates, top_intent

THRESHOLD = 0.6


class History:
    """Events of one conversation, in order, one second apart."""

    def __init__(self, sender: str = "web:abc", start: float = 1_000_000.0) -> None:
        self.sender = sender
        self.clock = start
        self.rows: list[EventRow] = []

    def _add(self, event: dict[str, Any], after: float = 1.0) -> History:
        self.clock += after
        self.rows.append(
            EventRow(self.sender, self.clock, {**event, "timestamp": self.clock})
        )
        return self

    def user(
        self,
        text: str,
        intent: str,
        confidence: float = 0.95,
        ranking: list[tuple[str, float]] | None = None,
        after: float = 1.0,
    ) -> History:
        parse = {
            "intent": {"name": intent, "confidence": confidence},
            "intent_ranking": [
                {"name": name, "confidence": value} for name, value in ranking or []
            ],
        }
        return self._add({"event": "user", "text": text, "parse_data": parse}, after)

    def action(self, name: str) -> History:
        return self._add({"event": "action", "name": name})


def _listed(history: History) -> dict[str, list[str]]:
    return {c.text: c.reasons for c in review_candidates(history.rows, THRESHOLD)}


def test_a_confident_answered_message_is_not_listed():
    history = History().user("我的快递到哪了", "check_delivery").action("delivery_form")
    assert _listed(history) == {}


def test_nlu_fallback_is_listed_with_the_intent_under_it():
    history = History().user(
        "这个东东咋整",
        "nlu_fallback",
        0.45,
        ranking=[("nlu_fallback", 0.45), ("ask_product", 0.31), ("greet", 0.1)],
    )
    [candidate] = review_candidates(history.rows, THRESHOLD)
    assert candidate.reasons == ["fallback"]
    assert (candidate.intent, candidate.confidence) == ("ask_product", 0.31)


def test_default_fallback_action_lists_the_message():
    history = (
        History().user("嗯嗯那个", "affirm", 0.9).action("action_default_fallback")
    )
    assert _listed(history) == {"嗯嗯那个": ["fallback"]}


def test_low_confidence_below_the_setting_only():
    history = (
        History()
        .user("积分咋没到账", "check_loyalty", 0.55)
        .user("谢谢", "thank", 0.61, after=300)
    )
    assert _listed(history) == {"积分咋没到账": ["low_confidence"]}


def test_a_handoff_lists_the_message_that_led_to_it():
    history = History().user("你们太坑了", "complain", 0.9).action("action_handoff")
    assert _listed(history) == {"你们太坑了": ["handoff"]}


def test_asking_for_a_person_lists_the_message_before_it():
    history = (
        History()
        .user("发票怎么开", "ask_invoice", 0.9)
        .action("utter_invoice")
        .user("转人工", "human_handoff", 1.0, after=200)
        .action("action_handoff")
    )
    assert _listed(history) == {"发票怎么开": ["handoff"]}


def test_a_quick_rephrase_lists_the_first_wording():
    history = (
        History()
        .user("我的东西到哪儿了", "check_delivery", 0.8)
        .action("delivery_form")
        .user("我的东西到哪了呢", "check_delivery", 0.9, after=20)
    )
    assert _listed(history) == {"我的东西到哪儿了": ["rephrase"]}


def test_a_correction_counts_as_rephrase_but_not_two_minutes_later():
    quick = (
        History()
        .user("退款", "request_return", 0.9)
        .user("不是，我问退款进度", "check_return_status", after=10)
    )
    late = (
        History("web:late")
        .user("退款", "request_return", 0.9)
        .user("不是，我问退款进度", "check_return_status", after=500)
    )
    assert _listed(quick) == {"退款": ["rephrase"]}
    assert _listed(late) == {}


def test_reasons_combine_in_a_fixed_order_and_newest_comes_first():
    first = History("web:one").user("啥", "nlu_fallback", 0.3).action("action_handoff")
    second = History("web:two", start=2_000_000.0).user("亲在吗", "greet", 0.5)
    candidates = review_candidates(first.rows + second.rows, THRESHOLD)
    assert [c.text for c in candidates] == ["亲在吗", "啥"]
    assert candidates[1].reasons == ["fallback", "handoff"]


def test_button_payloads_and_empty_texts_are_never_listed():
    history = (
        History()
        .user('/inform{"order_number": "1"}', "inform", 0.2)
        .action("action_default_fallback")
        .user("   ", "nlu_fallback", 0.1)
    )
    assert _listed(history) == {}


def test_events_of_several_senders_in_any_order():
    one = History("web:x").user("嗯", "affirm", 0.2)
    two = History("web:y").user("啊", "deny", 0.3)
    rows = list(reversed(one.rows + two.rows))
    assert {c.sender_id for c in review_candidates(rows, THRESHOLD)} == {
        "web:x",
        "web:y",
    }


def test_top_intent_and_rephrase_helpers():
    assert top_intent({"event": "user"}) == (None, 0.0, False)
    assert top_intent(
        {"parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.4}}}
    ) == (None, 0.0, True)
    assert is_rephrase("查一下物流", "查 一下 物流")
    assert not is_rephrase("查一下物流", "我要退货")
