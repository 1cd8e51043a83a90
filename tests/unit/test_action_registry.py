"""The action server registers exactly the actions the domain declares."""

from pathlib import Path

import yaml
from rasa_sdk.executor import ActionExecutor

ROOT = Path(__file__).resolve().parents[2]


def test_every_custom_action_in_the_domain_is_registered_and_nothing_else():
    executor = ActionExecutor()
    executor.register_package("actions")
    registered = set(executor.actions)
    domain = yaml.safe_load((ROOT / "domain.yml").read_text("utf-8"))
    declared = set(domain["actions"])
    assert declared <= registered
    assert registered - declared == set()
