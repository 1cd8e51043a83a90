"""Responses: every one the actions name exists, and every one is used somewhere.

Rasa 3.6's validator cannot see responses dispatched from custom actions or
asked by forms, so it reports them as unused; this test checks both ways.
"""

import re
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain

from actions.returns import REFUSAL_CODES

ROOT = Path(__file__).resolve().parents[2]
LITERAL = re.compile(r'(?<!get\()"(utter_[a-z_]+)"')
PREFIXED = re.compile(r'f"(utter_[a-z_]+)\{')


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def action_sources() -> str:
    return "\n".join(p.read_text("utf-8") for p in (ROOT / "actions").glob("*.py"))


def named_by_actions() -> set[str]:
    source = action_sources()
    names = set(LITERAL.findall(source))
    names |= {f"utter_order_{s}" for s in ("unpaid", "paid", "cancelled", "returned")}
    names |= {f"utter_return_refused_{code}" for code in REFUSAL_CODES}
    return names


def test_every_response_an_action_names_exists(domain):
    missing = named_by_actions() - set(domain.responses)
    assert missing == set()


def test_every_dynamic_response_prefix_is_known():
    # f"utter_x_{...}" names must be covered by named_by_actions above
    assert set(PREFIXED.findall(action_sources())) <= {
        "utter_order_",
        "utter_return_refused_",
    }


def test_every_response_in_the_domain_is_used(domain):
    rules = "\n".join(p.read_text("utf-8") for p in (ROOT / "data").rglob("*.yml"))
    used_in_data = set(re.findall(r"action: (utter_[a-z_]+)", rules))
    asked_by_forms = {
        f"utter_ask_{slot}"
        for form in domain.forms.values()
        for slot in form["required_slots"]
    } | {"utter_ask_phone"}  # identity slot asked by every flow form
    rasa_defaults = {"utter_default"}  # action_default_fallback
    unused = {
        name
        for name in domain.responses
        if "/" not in name  # retrieval responses are chosen by the selector
        and name not in used_in_data | asked_by_forms | rasa_defaults
        and name not in named_by_actions()
    }
    assert unused == set()
