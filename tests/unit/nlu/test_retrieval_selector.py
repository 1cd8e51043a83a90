"""One selector for all retrieval intents: its answer stays in the classified intent."""

from __future__ import annotations

from typing import Any

from bot.rasa_server.nlu.retrieval_selector import restrict_to_intent

RESPONSES = {
    "utter_faq/invoice": [{"text": "发票在订单详情里申请。"}],
    "utter_faq/stock": [{"text": "页面显示有货就能下单。"}],
    "utter_chitchat/ask_name": [{"text": "我是小客。"}],
}


def _prediction(*ranking: tuple[str, float]) -> dict[str, Any]:
    top, confidence = ranking[0]
    return {
        "response": {
            "responses": RESPONSES[f"utter_{top}"],
            "confidence": confidence,
            "intent_response_key": top,
            "utter_action": f"utter_{top}",
        },
        "ranking": [
            {"id": i, "confidence": c, "intent_response_key": k}
            for i, (k, c) in enumerate(ranking)
        ],
    }


def test_a_faq_message_gets_the_best_faq_answer_if_small_talk_ranked_first() -> None:
    prediction = _prediction(
        ("chitchat/ask_name", 0.6), ("faq/stock", 0.3), ("faq/invoice", 0.1)
    )

    chosen = restrict_to_intent(prediction, "faq", RESPONSES)

    assert chosen["response"]["intent_response_key"] == "faq/stock"
    assert chosen["response"]["utter_action"] == "utter_faq/stock"
    assert chosen["response"]["responses"] == RESPONSES["utter_faq/stock"]
    assert chosen["response"]["confidence"] == 0.3
    assert [r["intent_response_key"] for r in chosen["ranking"]] == [
        "faq/stock",
        "faq/invoice",
    ]


def test_the_top_answer_is_kept_when_it_is_of_the_classified_intent() -> None:
    prediction = _prediction(("faq/invoice", 0.8), ("chitchat/ask_name", 0.2))

    chosen = restrict_to_intent(prediction, "faq", RESPONSES)

    assert chosen["response"]["intent_response_key"] == "faq/invoice"
    assert chosen["response"]["confidence"] == 0.8
    assert len(chosen["ranking"]) == 1


def test_a_ranking_without_the_intent_is_left_as_it_was() -> None:
    prediction = _prediction(("faq/invoice", 0.8))

    assert restrict_to_intent(prediction, "chitchat", RESPONSES) is prediction
