"""Featurized training data fingerprinted by its cache key keeps Rasa's cache right.

A tiny project is trained with Rasa's own training code and the launcher's
``install_keyed_fingerprints``; Rasa's dry run then says which nodes would
train again: none for unchanged data, only the dialogue for a changed rule,
the featurizers and the classifier for a changed NLU example.
"""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

DOMAIN = """\
version: "3.1"
intents: [greet, bye]
responses:
  utter_greet: [{text: "你好"}]
  utter_bye: [{text: "再见"}]
"""
CONFIG = """\
recipe: default.v1
language: zh
assistant_id: fingerprints
pipeline:
  - name: JiebaTokenizer
  - name: CountVectorsFeaturizer
    analyzer: char
    min_ngram: 1
    max_ngram: 2
  - name: LogisticRegressionClassifier
policies:
  - name: RulePolicy
"""
NLU = """\
version: "3.1"
nlu:
- intent: greet
  examples: |
    - 你好
    - 您好呀
    - 在吗
    - hello
- intent: bye
  examples: |
    - 再见
    - 拜拜
    - 没事了 再见
    - bye
"""
RULES = """\
version: "3.1"
rules:
- rule: greet
  steps:
  - intent: greet
  - action: utter_greet
"""
# A rule more with the intents and actions already used (a rule with a new
# action changes the NLU data: Rasa adds every action and intent of the stories
# to it for the dialogue's featurization).
MORE_RULES = (
    RULES
    + """\
- rule: greet first
  conversation_start: true
  steps:
  - intent: greet
  - action: utter_greet
"""
)


def write_project(root: Path, nlu: str = NLU, rules: str = RULES) -> None:
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "domain.yml").write_text(DOMAIN, encoding="utf-8")
    (root / "config.yml").write_text(CONFIG, encoding="utf-8")
    (root / "data" / "nlu.yml").write_text(nlu, encoding="utf-8")
    (root / "data" / "rules.yml").write_text(rules, encoding="utf-8")


def train(root: Path, dry_run: bool = False):
    from rasa.api import train as rasa_train

    return rasa_train(
        domain=str(root / "domain.yml"),
        config=str(root / "config.yml"),
        training_files=[str(root / "data")],
        output=str(root / "models"),
        dry_run=dry_run,
    )


def would_train(root: Path) -> set[str]:
    """Names of the graph nodes a training now would run (Rasa's dry run)."""
    result = train(root, dry_run=True)
    return {
        name
        for name, status in (result.dry_run_results or {}).items()
        if not getattr(status, "is_hit", True)
    }


@pytest.fixture
def keyed(monkeypatch, tmp_path):
    from rasa.engine.caching import LocalTrainingCache
    from rasa.engine.training.hooks import TrainingHook

    from bot.rasa_server.training_fingerprints import install_keyed_fingerprints

    monkeypatch.setenv("RASA_CACHE_DIRECTORY", str(tmp_path / "cache"))
    monkeypatch.setattr(TrainingHook, "on_before_node", TrainingHook.on_before_node)
    monkeypatch.setattr(TrainingHook, "on_after_node", TrainingHook.on_after_node)
    monkeypatch.setattr(TrainingHook, "_xiaoke_keyed", False, raising=False)
    install_keyed_fingerprints()
    cached: list[tuple[str, str, str]] = []
    rasa_cache_output = LocalTrainingCache.cache_output

    def spy(self, fingerprint_key, output, output_fingerprint, model_storage):
        cached.append((fingerprint_key, type(output).__name__, output_fingerprint))
        return rasa_cache_output(
            self, fingerprint_key, output, output_fingerprint, model_storage
        )

    monkeypatch.setattr(LocalTrainingCache, "cache_output", spy)
    return cached


def test_featurized_data_is_fingerprinted_by_its_key(keyed, tmp_path):
    from bot.rasa_server.training_fingerprints import keyed_output_fingerprint

    root = tmp_path / "project"
    write_project(root)
    assert train(root).code == 0

    data_outputs = [entry for entry in keyed if entry[1] == "TrainingData"]
    keyed_outputs = [
        entry
        for entry in data_outputs
        if entry[2] == keyed_output_fingerprint(entry[0])
    ]
    # The tokenizer's and the featurizer's process nodes (Rasa hashes every
    # message's tokens and features there).
    assert len(keyed_outputs) == len(data_outputs) == 2


def test_the_cache_still_reuses_and_retrains_what_it_should(keyed, tmp_path):
    root = tmp_path / "project"
    write_project(root)
    assert train(root).code == 0
    assert would_train(root) == set()

    write_project(root, rules=MORE_RULES)
    changed_rules = would_train(root)
    assert any("RulePolicy" in name for name in changed_rules)
    assert not any(
        "Featurizer" in name or "Classifier" in name for name in changed_rules
    )

    write_project(root, nlu=NLU.replace("- 拜拜", "- 拜拜啦"))
    changed_nlu = would_train(root)
    assert any("CountVectorsFeaturizer" in name for name in changed_nlu)
    assert any("LogisticRegressionClassifier" in name for name in changed_nlu)
