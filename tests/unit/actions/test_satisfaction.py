"""The 满意度 rating: read from a button's entity or the shopper's words."""

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.satisfaction import ActionRecordSatisfaction, parse_rating
from tests.support.trackers import message_kwargs, responses


@pytest.mark.parametrize(
    ("entity", "text", "score"),
    [
        ("5", "/rate_service", 5),
        (4, "", 4),
        (4.5, "", None),
        ("inf", "", None),
        ("1e999", "", None),
        ("1", "", 1),
        ("9", "", None),
        ("abc", "", None),
        ("0", "", None),
        (None, "5分", 5),
        (None, "给你打4分吧", 4),
        (None, "五星好评", 5),
        (None, "三分吧", 3),
        (None, "两分", 2),
        (None, "一星", 1),
        (None, "3", 3),
        (None, "非常满意", 5),
        (None, "满意", 4),
        (None, "还行吧，一般", 3),
        (None, "不太满意", 2),
        (None, "非常不满意", 1),
        (None, "差评，1分", 1),
        (None, "10分", None),
        (None, "打个6分", None),
        (None, "我的订单到哪了", None),
    ],
)
def test_parse_rating(entity, text, score):
    assert parse_rating(entity, text) == score


def _tracker(text: str, entities: list[dict] | None = None) -> Tracker:
    message = {
        "text": text,
        "intent": {"name": "rate_service"},
        "entities": entities or [],
    }
    return Tracker("s1", {}, message, [], False, None, {}, "action_listen")


async def _run(tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = await ActionRecordSatisfaction().run(dispatcher, tracker, {})
    return dispatcher, events


async def test_button_rating_is_kept_and_thanked():
    entities = [{"entity": "satisfaction", "value": "5"}]
    dispatcher, events = await _run(
        _tracker('/rate_service{"satisfaction":"5"}', entities)
    )
    assert events == [SlotSet("satisfaction", 5.0)]
    assert responses(dispatcher) == ["utter_thanks_rating"]
    assert message_kwargs(dispatcher, "utter_thanks_rating")["rating"] == 5


async def test_low_rating_gets_an_apology():
    dispatcher, events = await _run(_tracker("不满意，2分"))
    assert events == [SlotSet("satisfaction", 2.0)]
    assert responses(dispatcher) == ["utter_rating_sorry"]


async def test_no_score_asks_again_and_keeps_nothing():
    dispatcher, events = await _run(_tracker("打个10分"))
    assert events == []
    assert responses(dispatcher) == ["utter_ask_rating_again"]
