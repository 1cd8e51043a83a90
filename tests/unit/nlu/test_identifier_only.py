"""A message that is only an identifier informs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.rasa_server.nlu.identifier_only import IdentifierOnlyInform, only_identifiers


@pytest.mark.parametrize(
    ("text", "spans", "expected"),
    [
        ("15126614242", [(0, 11)], True),
        ("  sna2p5bq69qy。", [(2, 14)], True),
        ("xk202411110001, 13800138000", [(0, 14), (16, 27)], True),
        ("订单号xk202411110001", [(3, 17)], False),
        ("13800138000 到哪了", [(0, 11)], False),
        ("13800138000!", [(0, 11)], True),
        ("", [], False),
        ("好的", [], False),
        ("13800138000", [], False),
        ("13800138000 +", [(0, 11)], False),
    ],
)
def test_only_identifiers(
    text: str, spans: list[tuple[int, int]], expected: bool
) -> None:
    assert only_identifiers(text, spans) is expected


def _message(text: str, entities: list[dict[str, Any]]) -> Message:
    message = Message(data={TEXT: text, ENTITIES: entities})
    message.set(INTENT, {"name": "nlu_fallback", "confidence": 0.45})
    message.set(
        INTENT_RANKING_KEY,
        [
            {"name": "check_loyalty", "confidence": 0.4},
            {"name": "inform", "confidence": 0.3},
        ],
    )
    return message


def _component() -> IdentifierOnlyInform:
    return IdentifierOnlyInform.create(
        {},
        LocalModelStorage.__new__(LocalModelStorage),
        Resource("identifier_only"),
        ExecutionContext(GraphSchema({}), node_name="identifier_only"),
    )


def test_a_bare_phone_number_informs_with_full_confidence() -> None:
    message = _message(
        "15126614242",
        [{"entity": "phone", "start": 0, "end": 11, "value": "15126614242"}],
    )

    _component().process([message])

    assert message.get(INTENT) == {"name": "inform", "confidence": 1.0}
    assert [e["name"] for e in message.get(INTENT_RANKING_KEY)] == [
        "inform",
        "check_loyalty",
    ]


def test_a_bare_order_number_diet_reads_as_delivery_is_not_ambiguous() -> None:
    """DIET's 0.99 for another intent must not make the fallback call it ambiguous."""
    message = Message(
        data={
            TEXT: "XK202452319252",
            ENTITIES: [
                {"entity": "order_id", "start": 0, "end": 14, "value": "XK202452319252"}
            ],
        }
    )
    message.set(INTENT, {"name": "track_delivery", "confidence": 0.994})
    message.set(
        INTENT_RANKING_KEY,
        [
            {"name": "track_delivery", "confidence": 0.994},
            {"name": "inform", "confidence": 0.004},
        ],
    )
    fallback = FallbackClassifier(
        {**FallbackClassifier.get_default_config(), "ambiguity_threshold": 0.05}
    )

    fallback.process(_component().process([message]))

    assert message.get(INTENT) == {"name": "inform", "confidence": 1.0}
    assert message.get(INTENT_RANKING_KEY)[1] == {
        "name": "track_delivery",
        "confidence": 0.0,
    }


def test_other_entities_or_other_words_leave_the_intent() -> None:
    carrier = _message(
        "顺丰", [{"entity": "carrier", "start": 0, "end": 2, "value": "顺丰"}]
    )
    question = _message(
        "13800138000积分多少",
        [{"entity": "phone", "start": 0, "end": 11, "value": "13800138000"}],
    )

    _component().process([carrier, question])

    assert carrier.get(INTENT)["name"] == "nlu_fallback"
    assert question.get(INTENT)["name"] == "nlu_fallback"


def test_an_identifier_entity_without_offsets_is_not_counted() -> None:
    message = _message("15126614242", [{"entity": "phone", "value": "15126614242"}])

    _component().process([message])

    assert message.get(INTENT)["name"] == "nlu_fallback"


def test_the_pipeline_sets_identifiers_before_the_vote_so_the_vote_skips_them() -> None:
    """After DIET, before the vote: a bare identifier reaches the vote at 1.0."""
    config = yaml.safe_load(
        (Path(__file__).resolve().parents[3] / "config.yml").read_text(encoding="utf-8")
    )
    names = [component["name"].rsplit(".", 1)[-1] for component in config["pipeline"]]
    vote = names.index("VectorVoteIntentClassifier")
    identifiers = names.index("IdentifierOnlyInform")
    assert names.index("BucketedDIETClassifier") < identifiers < vote
    vote_below = config["pipeline"][vote].get("vote_below", 0.999)
    assert vote_below < 1.0  # inform's 1.0 is never voted on
