"""The review export: Rasa NLU data from trainers' verdicts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml

from bot.console.models import NOISE
from bot.console.review import domain_intents
from bot.console.review_export import render
from bot.console.review_repository import ReviewLabel

ROOT = Path(__file__).resolve().parents[3]


def _label(text: str, label: str, minute: int, predicted: str = "greet") -> ReviewLabel:
    return ReviewLabel(
        sender_id=f"web:{minute}",
        event_timestamp=float(minute),
        text=text,
        predicted_intent=predicted,
        confidence=0.4,
        reasons=["low_confidence"],
        label=label,
        reviewer="alice",
        reviewed_at=datetime(2026, 12, 3, 12, minute),
    )


def _examples(text: str) -> dict[str, list[str]]:
    data = yaml.safe_load(text)
    assert data["version"] == "3.1"
    return {
        block["intent"]: [
            line[2:] for line in block["examples"].splitlines() if line.strip()
        ]
        for block in data["nlu"]
    }


def test_intents_grouped_noise_left_out_duplicates_once():
    text, count = render(
        [
            _label("快递几天能到", "track_delivery", 1),
            _label("快递几天能到", "track_delivery", 2),
            _label("哈哈哈哈", NOISE, 3),
            _label("积分能换啥", "ask_points_rewards", 4),
        ]
    )
    assert count == 2
    assert _examples(text) == {
        "ask_points_rewards": ["积分能换啥"],
        "track_delivery": ["快递几天能到"],
    }


def test_the_newest_verdict_on_a_text_wins():
    text, _ = render(
        [
            _label("在吗", "greet", 1),
            _label("在吗", NOISE, 2),
            _label("退钱", "request_return", 3),
            _label("退钱", "check_return_status", 4),
        ]
    )
    assert _examples(text) == {"check_return_status": ["退钱"]}


def test_personal_data_is_masked_and_brackets_are_no_annotation():
    text, _ = render(
        [_label("我手机13800138000 [急](快) 查下物流", "track_delivery", 1)]
    )
    [line] = _examples(text)["track_delivery"]
    assert "13800138000" not in line
    assert "[急](快)" not in line and "［急］（快）" in line


def test_nothing_reviewed_is_still_valid_rasa_data():
    text, count = render([])
    assert count == 0 and yaml.safe_load(text)["nlu"] == []


def test_the_domain_offers_retrieval_sub_intents_not_internal_ones():
    intents = domain_intents(ROOT / "domain.yml")
    assert "track_delivery" in intents and "human_handoff" in intents
    assert any(name.startswith("faq/") for name in intents)
    assert "faq" not in intents and "nlu_fallback" not in intents
    assert domain_intents(ROOT / "no-such-domain.yml") == []
