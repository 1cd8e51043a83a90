"""Featurized training data fingerprinted by its cache key keeps Rasa's cache right.

A tiny project is trained with Rasa's own training code and the launcher's
``install_keyed_fingerprints``; Rasa's dry run then says which nodes would
train again: none for unchanged data, only the dialogue for a changed rule,
the featurizers and the classifier for a changed NLU example. Rasa's training
configures logging for the whole process, so it runs in a child process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
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


# Trains the project given as the first argument (the second: "keyed" installs
# the launcher's fingerprints), then prints one JSON object: what was cached
# (key, output type, output fingerprint) and the nodes a training would run
# after each of: nothing changed, a rule added, an NLU example changed.
CHILD = """
import json, sys
from pathlib import Path

from rasa.api import train
from rasa.engine.caching import LocalTrainingCache

from bot.rasa_server.training_fingerprints import install_keyed_fingerprints
from tests.integration.nlu.test_training_fingerprints import (
    MORE_RULES, NLU, write_project,
)

root = Path(sys.argv[1])
if sys.argv[2] == "keyed":
    install_keyed_fingerprints()
cached = []
rasa_cache_output = LocalTrainingCache.cache_output


def spy(self, fingerprint_key, output, output_fingerprint, model_storage):
    cached.append((fingerprint_key, type(output).__name__, output_fingerprint))
    return rasa_cache_output(
        self, fingerprint_key, output, output_fingerprint, model_storage
    )


LocalTrainingCache.cache_output = spy


def run(dry_run):
    return train(
        domain=str(root / "domain.yml"),
        config=str(root / "config.yml"),
        training_files=[str(root / "data")],
        output=str(root / "models"),
        dry_run=dry_run,
    )


def would_train():
    results = run(dry_run=True).dry_run_results or {}
    return sorted(
        name for name, status in results.items()
        if not getattr(status, "is_hit", True)
    )


write_project(root)
code = run(dry_run=False).code
unchanged = would_train()
write_project(root, rules=MORE_RULES)
changed_rules = would_train()
write_project(root, nlu=NLU.replace("- 拜拜", "- 拜拜啦"))
changed_nlu = would_train()
print("RESULT " + json.dumps({
    "code": code, "cached": cached, "unchanged": unchanged,
    "changed_rules": changed_rules, "changed_nlu": changed_nlu,
}))
"""


def train_in_child(root: Path, keyed: bool) -> dict:
    project = Path(__file__).resolve().parents[3]
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root), "keyed" if keyed else "rasa"],
        cwd=project,
        env={
            **os.environ,
            "PYTHONPATH": str(project),
            "RASA_CACHE_DIRECTORY": str(root / "cache"),
            "RASA_TELEMETRY_ENABLED": "false",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


@pytest.fixture(scope="module")
def keyed_run(tmp_path_factory) -> dict:
    return train_in_child(tmp_path_factory.mktemp("keyed") / "project", keyed=True)


def test_featurized_data_is_fingerprinted_by_its_key(keyed_run):
    from bot.rasa_server.training_fingerprints import keyed_output_fingerprint

    assert keyed_run["code"] == 0
    data_outputs = [
        entry for entry in keyed_run["cached"] if entry[1] == "TrainingData"
    ]
    keyed_outputs = [
        entry
        for entry in data_outputs
        if entry[2] == keyed_output_fingerprint(entry[0])
    ]
    # The tokenizer's and the featurizer's process nodes (Rasa hashes every
    # message's tokens and features there).
    assert len(keyed_outputs) == len(data_outputs) == 2


def test_the_cache_still_reuses_and_retrains_what_it_should(keyed_run):
    assert keyed_run["unchanged"] == []

    changed_rules = keyed_run["changed_rules"]
    assert any("RulePolicy" in name for name in changed_rules)
    assert not any(
        "Featurizer" in name or "Classifier" in name for name in changed_rules
    )

    changed_nlu = keyed_run["changed_nlu"]
    assert any("CountVectorsFeaturizer" in name for name in changed_nlu)
    assert any("LogisticRegressionClassifier" in name for name in changed_nlu)
