"""The turn levers give Rasa's results: same rules found, same predictions, same parses.

Every story of ``tests/stories`` is replayed with the trained model; before each
of its actions the policies predict with Rasa's own pieces and with the levers
of ``bot.rasa_server.turn_speedups``, and the predictions must be identical. The
rule index is also compared rule set by rule set, for both of RulePolicy's
lookups and both of its ways of reading the last user turn (text, intent).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.model

TEXTS = [
    "我的快递到哪了",
    "我要退货",
    "你好",
    "我有多少积分",
    "我要转人工 订单怎么还没到",
    "包邮吗",
]


@pytest.fixture(scope="module")
def story_trackers(agent) -> list[Any]:
    from rasa.core.test import _create_data_generator

    generator = _create_data_generator(
        str(ROOT / "tests" / "stories"), agent, use_conversation_test_files=True
    )
    trackers = generator.generate_story_trackers()
    assert len(trackers) > 40, "the story tests were not found"
    return trackers


@pytest.fixture
def rasa_only() -> Iterator[None]:
    from bot.rasa_server.turn_speedups import uninstall_levers

    uninstall_levers()
    yield
    uninstall_levers()


def prior_trackers(trackers: list[Any]) -> Iterator[Any]:
    """The conversation as it stood before each action of each story."""
    for tracker in trackers:
        for prior, _ in tracker.generate_all_prior_trackers():
            yield prior


def rule_policy(agent) -> Any:
    from rasa.core.policies.rule_policy import RulePolicy

    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    (policy,) = [n._component for n in nodes if isinstance(n._component, RulePolicy)]
    return policy


def test_rule_index_finds_exactly_rasa_s_rules(agent, story_trackers, rasa_only):
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH

    from bot.rasa_server.rule_index import (
        RASA_GET_POSSIBLE_KEYS,
        indexed_get_possible_keys,
    )

    policy = rule_policy(agent)
    rule_only = policy._get_rule_only_data()
    compared = matched = 0
    for tracker in prior_trackers(story_trackers):
        for use_text in (True, False):
            states = policy._prediction_states(
                tracker, agent.domain, use_text, rule_only_data=rule_only
            )
            for lookup in (
                policy.lookup[RULES],
                policy.lookup[RULES_FOR_LOOP_UNHAPPY_PATH],
            ):
                expected = RASA_GET_POSSIBLE_KEYS(policy, lookup, states)
                assert indexed_get_possible_keys(policy, lookup, states) == expected, (
                    tracker.sender_id,
                    states[-1:],
                )
                compared += 1
                matched += bool(expected)
    assert compared > 1000 and matched > 500, (compared, matched)


def _predictions(agent, trackers: list[Any]) -> list[tuple[Any, ...]]:
    from rasa.shared.core.trackers import DialogueStateTracker

    predictions = []
    for prior in prior_trackers(trackers):
        tracker = DialogueStateTracker.from_events(
            prior.sender_id, list(prior.events), agent.domain.slots
        )
        prediction = agent.processor._predict_next_with_tracker(tracker)
        predictions.append(
            (
                tracker.sender_id,
                len(tracker.events),
                prediction.policy_name,
                prediction.max_confidence_index,
                round(prediction.max_confidence, 6),
                tuple(type(event).__name__ for event in prediction.events),
            )
        )
    return predictions


def test_levers_predict_as_rasa_does(agent, story_trackers, rasa_only):
    from bot.rasa_server.turn_speedups import LEVERS, install_lever

    rasa = _predictions(agent, story_trackers)
    for name in LEVERS:
        install_lever(name)
    levers = _predictions(agent, story_trackers)
    assert len(levers) == len(rasa) > 300
    assert levers == rasa
    assert {name for _, _, name, *_ in rasa} >= {"RulePolicy"}


@pytest.mark.parametrize("text", TEXTS)
async def test_levers_parse_as_rasa_does(agent, text, rasa_only):
    from bot.rasa_server.turn_speedups import LEVERS, install_lever

    rasa = await agent.parse_message(text)
    for name in LEVERS:
        install_lever(name)
    assert await agent.parse_message(text) == rasa


async def test_diet_predicts_through_the_flat_call(agent, rasa_only):
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    from rasa.nlu.selectors.response_selector import ResponseSelector

    from bot.rasa_server.flat_predict_call import install_flat_predict_call

    install_flat_predict_call()
    rasa = await agent.parse_message(TEXTS[0])  # the first call checks, then keeps it
    nodes = agent.processor.graph_runner._instantiated_nodes.values()
    (diet,) = [
        n._component
        for n in nodes
        if isinstance(n._component, DIETClassifier)
        and not isinstance(n._component, ResponseSelector)
    ]
    step, call = diet.model.__dict__["_xiaoke_flat_call"]
    assert step is diet.model._tf_predict_step and call is not None
    assert await agent.parse_message(TEXTS[0]) == rasa
