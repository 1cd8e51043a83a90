"""Scoring the NLU in coarse classes: the regression floor and the dev report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.nlu_classes import coarse, figures, macro_f1
from benchmarks.nlu_report import confusion, parse
from tests.nlu.floor import check, main


@pytest.mark.parametrize(
    ("intent", "label"),
    [
        ("human_handoff", "handoff"),
        ("complain", "complaint"),
        ("check_warranty", "warranty"),
        ("check_loyalty", "loyalty"),
        ("redeem_points", "loyalty"),
        ("check_return_status", "returns"),
        ("faq/return_policy", "returns"),
        ("faq/delivery_courier", "delivery"),
        ("greet", "greet"),
        ("thank", "thank"),
        ("thanks_a_lot", "other"),
        ("faq/invoice", "other"),
        ("nlu_fallback", "other"),
        ("", "other"),
    ],
)
def test_intents_map_to_the_evaluation_classes(intent, label):
    assert coarse(intent) == label


def test_per_class_figures_and_macro_f1():
    rows = figures(
        [("returns", "returns"), ("returns", "complaint"), ("complaint", "complaint")]
    )
    by_label = {row.label: row for row in rows}
    assert by_label["returns"].recall == 0.5
    assert by_label["returns"].precision == 1.0
    assert by_label["complaint"].precision == 0.5
    assert macro_f1(rows) == pytest.approx((2 / 3 + 2 / 3) / 2)


def write_results(
    directory: Path, successes: list, errors: list, responses: list
) -> Path:
    directory.mkdir()
    (directory / "intent_successes.json").write_text(json.dumps(successes))
    (directory / "intent_errors.json").write_text(json.dumps(errors))
    (directory / "response_selection_errors.json").write_text(json.dumps(responses))
    return directory


def item(text: str, gold: str, predicted: str) -> dict:
    return {
        "text": text,
        "intent": gold,
        "intent_prediction": {"name": predicted, "confidence": 0.9},
    }


@pytest.fixture
def results(tmp_path: Path) -> Path:
    return write_results(
        tmp_path / "run",
        [
            item("转人工", "human_handoff", "human_handoff"),
            item("退款呢", "check_return_status", "check_return_status"),
        ],
        [
            item("发票抬头能改吗", "faq", "faq"),
            item("积分清零了", "check_loyalty", "complain"),
        ],
        [
            {
                "text": "发票抬头能改吗",
                "intent_response_key_target": "faq/invoice",
                "intent_response_key_prediction": {
                    "name": "faq/return_policy",
                    "confidence": 0.6,
                },
            }
        ],
    )


def test_the_floor_counts_the_response_key_of_a_retrieval_intent(results, capsys):
    failures = check(results, {"accuracy": 0.5})
    out = capsys.readouterr().out
    # faq/return_policy is the returns class: a miss for an "other" question.
    assert "pred=returns (faq/return_policy)" in out
    assert "pred=complaint (complain)" in out
    assert "accuracy=0.5000" in out
    assert failures == []


def test_a_figure_under_its_floor_fails(results, tmp_path):
    floors = tmp_path / "floors.yml"
    floors.write_text("accuracy: 0.9\nrecall:\n  handoff: 1.0\n  loyalty: 0.5\n")
    assert main([str(results), str(floors)]) == 1
    failures = check(
        results, {"accuracy": 0.9, "recall": {"handoff": 1.0, "loyalty": 0.5}}
    )
    assert failures == [
        "accuracy 0.500 < floor 0.9",
        "loyalty recall 0.000 < floor 0.5",
    ]


def test_no_results_is_a_failure(tmp_path):
    assert check(tmp_path, {}) != []


SCORER_OUTPUT = """\
\x1b[0mMISS e1\tgold=returns\tpred=complaint (complain)\t退款拖了一周
MISS e2\tgold=other\tpred=delivery (track_delivery)\t能开发票吗
class        prec    rec     f1     n
returns     1.000  0.500  0.667     2
complaint   0.500  1.000  0.667     1
other       0.000  0.000  0.000     1
macro_f1=0.4444 accuracy=0.5000 n=4
"""


def test_the_report_rebuilds_the_confusion_matrix_from_the_scorer_output():
    scored = parse(SCORER_OUTPUT)
    assert [miss.item for miss in scored.misses] == ["e1", "e2"]
    assert scored.summary == "macro_f1=0.4444 accuracy=0.5000 n=4"
    matrix = confusion(scored)
    classes = ["delivery", "returns", "warranty", "loyalty", "handoff", "complaint"]
    returns, complaint, delivery = (
        classes.index(c) for c in ("returns", "complaint", "delivery")
    )
    assert matrix[returns][returns] == 1
    assert matrix[returns][complaint] == 1
    assert matrix[complaint][complaint] == 1
    assert matrix[9][delivery] == 1  # other → delivery
    assert sum(map(sum, matrix)) == 4
