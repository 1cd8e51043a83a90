"""The spaCy zh pipeline built from the repository: segmentation and entity rules."""

from pathlib import Path

import pytest
import spacy

from bot.rasa_server.nlu.build_spacy_model import build, read_patterns
from bot.rasa_server.nlu.spacy_tokenizer import JiebaTokenizer, read_user_dict


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("spacy") / "spacy_zh")


@pytest.fixture(scope="module")
def nlp(pipeline_dir):
    # Loaded through spaCy's registry (entry point), like Rasa's SpacyNLP does.
    return spacy.load(pipeline_dir)


def words(nlp, text):
    return [token.text for token in nlp(text)]


@pytest.mark.parametrize(
    ("text", "word"),
    [
        ("七天无理由退货可以吗", "七天无理由"),
        ("京东物流到哪了", "京东物流"),
        ("延保怎么买", "延保"),
        ("积分快过期了", "积分"),
        ("我要转人工", "转人工"),
        ("保修期多久", "保修期"),
    ],
)
def test_user_dictionary_keeps_e_commerce_terms_whole(nlp, text, word):
    assert word in words(nlp, text)


@pytest.mark.parametrize(
    ("text", "label", "value"),
    [
        ("我的顺丰快递到哪了", "carrier", "顺丰"),
        ("ems到哪了", "carrier", "EMS"),
        ("中通快递怎么还没到", "carrier", "中通"),
        ("蓝牙耳机坏了能保修吗", "product_category", "耳机"),
        ("面膜能退吗", "product_category", "护肤品"),
    ],
)
def test_entity_ruler_finds_carriers_and_categories(nlp, text, label, value):
    found = [(ent.label_, ent.ent_id_) for ent in nlp(text).ents]
    assert (label, value) in found


def test_identifiers_stay_one_token(nlp):
    assert "xk202411110001" in words(nlp, "订单xk202411110001到哪了")


def test_user_dictionary_is_saved_inside_the_pipeline(pipeline_dir):
    saved = (pipeline_dir / "tokenizer" / "user_dict.txt").read_text("utf-8")
    assert "七天无理由" in saved.split()


def test_tokenizer_round_trips_through_bytes():
    vocab = spacy.blank("en").vocab
    tokenizer = JiebaTokenizer(vocab)
    tokenizer.add_words([("小客客服", 50000, "n")])
    restored = JiebaTokenizer(vocab).from_bytes(tokenizer.to_bytes())
    assert restored.user_words == [("小客客服", 50000, "n")]
    assert "小客客服" in [t.text for t in restored("你好小客客服在吗")]


def test_text_with_spaces_keeps_its_characters(nlp):
    doc = nlp("查下 物流  谢谢")
    assert doc.text == "查下 物流  谢谢"


def test_read_user_dict_parses_frequency_and_tag():
    lines = ["# comment", "", "顺丰 30000 nz", "积分", "保修 100"]
    assert read_user_dict(lines) == [
        ("顺丰", 30000, "nz"),
        ("积分", 20000, None),
        ("保修", 100, None),
    ]


def test_read_user_dict_rejects_a_bad_frequency():
    with pytest.raises(ValueError, match="line 1"):
        read_user_dict(["顺丰 lots nz"])


def test_read_patterns_rejects_a_pattern_without_label(tmp_path):
    path = tmp_path / "patterns.jsonl"
    path.write_text('{"pattern": "顺丰"}\n', "utf-8")
    with pytest.raises(ValueError, match="label"):
        read_patterns(path)
