"""The Rasa server loads the spaCy pipeline once, and again when it changed."""

from __future__ import annotations

import os
from typing import Any, ClassVar

from bot.rasa_server.shared_spacy import install_shared_spacy_model


class Nlp:
    """Stands in for Rasa's ``SpacyNLP``: counts the loads."""

    loads: ClassVar[list[str]] = []

    @staticmethod
    def load_model(spacy_model_name: str) -> Any:
        Nlp.loads.append(spacy_model_name)
        return object()


def fresh_class() -> type[Nlp]:
    class Fresh(Nlp):
        pass

    Nlp.loads = []
    install_shared_spacy_model(Fresh)
    return Fresh


def pipeline(tmp_path) -> str:
    directory = tmp_path / "spacy_zh"
    (directory / "tokenizer").mkdir(parents=True)
    (directory / "config.cfg").write_text("[nlp]\nlang = zh\n")
    (directory / "tokenizer" / "user_dict.txt").write_text("顺丰 10 n\n")
    return str(directory)


def test_the_second_node_gets_the_pipeline_already_loaded(tmp_path):
    nlp_class = fresh_class()
    name = pipeline(tmp_path)
    first = nlp_class.load_model(name)
    assert nlp_class.load_model(name) is first
    assert Nlp.loads == [name]


def test_a_rebuilt_pipeline_is_loaded_again(tmp_path):
    nlp_class = fresh_class()
    name = pipeline(tmp_path)
    first = nlp_class.load_model(name)
    user_dict = tmp_path / "spacy_zh" / "tokenizer" / "user_dict.txt"
    user_dict.write_text("顺丰 10 n\n京东 10 n\n")
    os.utime(user_dict, ns=(1, 1))
    assert nlp_class.load_model(name) is not first
    assert Nlp.loads == [name, name]


def test_another_pipeline_is_another_load(tmp_path):
    nlp_class = fresh_class()
    first = nlp_class.load_model(pipeline(tmp_path))
    assert nlp_class.load_model("zh_core_web_sm") is not first
    assert nlp_class.load_model("zh_core_web_sm") is nlp_class.load_model(
        "zh_core_web_sm"
    )
    assert Nlp.loads == [str(tmp_path / "spacy_zh"), "zh_core_web_sm"]


def test_rasa_spacy_component_is_what_is_replaced():
    from rasa.nlu.utils.spacy_utils import SpacyNLP

    assert isinstance(SpacyNLP.__dict__["load_model"], staticmethod)
