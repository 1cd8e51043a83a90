"""RulePolicy's rule lookup with an index, the same rules found.

Rasa 3.6's ``RulePolicy._get_possible_keys`` checks every learnt rule (370 in
this assistant, 68 more for forms' unhappy paths) against the conversation's
last state, twice per prediction (by text, then by intent) and a few
predictions per turn, each check parsing the rule's states again from an LRU
cache and reversing them. Then it filters the survivors against each earlier
state of the whole conversation, even when none survive.

Here each rule is parsed once into its reversed states, and the rules are
indexed by the two values their last state requires most often: the previous
action's name and the user's intent. A conversation's last state is checked
only against the rules whose required values it has (or that require neither);
every candidate then goes through Rasa's own ``_is_rule_applicable`` for every
state, and the walk stops once no candidate is left or every candidate is
shorter than the states walked. The set returned is the one Rasa's method
returns. (When two applicable rules have keys of the same length, Rasa's
``max(keys, key=len)`` takes whichever the set yields first, which already
depends on the process's hash seed; the same holds here.)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import PREVIOUS_ACTION, USER
from rasa.shared.nlu.constants import ACTION_NAME, INTENT

#: Rasa's ``_get_possible_keys`` (``uninstall``; tests compare both).
RASA_GET_POSSIBLE_KEYS = RulePolicy._get_possible_keys

#: A rule's index key: (previous action's name, user intent); None: not required.
IndexKey = tuple[str | None, str | None]


def _required(state: Mapping[str, Any], sub_state: str, key: str) -> str | None:
    """The value ``state`` requires for ``sub_state[key]``, if it requires one.

    Mirrors ``RulePolicy._does_rule_match_state``: a truthy value other than
    Rasa's "should not be set" marker must be equal in the conversation.
    """
    from rasa.shared.core.constants import SHOULD_NOT_BE_SET

    value = state.get(sub_state, {}).get(key)
    if isinstance(value, str) and value and value != SHOULD_NOT_BE_SET:
        return value
    return None


@dataclass
class RuleIndex:
    """One lookup's rules: reversed states and the index of their last state."""

    size: int
    longest: int
    buckets: dict[IndexKey, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, lookup: Mapping[str, Any]) -> RuleIndex:
        """Index every rule key of ``lookup`` (``RulePolicy.lookup[...]``)."""
        index = cls(size=len(lookup), longest=0)
        for rule_key in lookup:
            states = json.loads(rule_key)
            index.longest = max(index.longest, len(states))
            last = states[-1] if states else {}
            key = (
                _required(last, PREVIOUS_ACTION, ACTION_NAME),
                _required(last, USER, INTENT),
            )
            index.buckets.setdefault(key, []).append(rule_key)
        return index

    def candidates(self, state: Mapping[str, Any]) -> list[str]:
        """Rules whose last state may match ``state`` (a superset of those that do)."""
        if not state.get(PREVIOUS_ACTION):
            # a conversation start matches every starting rule whatever its
            # other features (``_is_rule_applicable``): no index for that
            return [key for keys in self.buckets.values() for key in keys]
        action = state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME)
        intent = state.get(USER, {}).get(INTENT)
        found: list[str] = []
        for key in ((action, intent), (action, None), (None, intent), (None, None)):
            if key in self.buckets and (key[0] is None or key[0] == action):
                if key[1] is None or key[1] == intent:
                    found += self.buckets[key]
        # (action, None) and (None, intent) can be the same key as another when
        # the conversation lacks a value: keep each rule once
        return list(dict.fromkeys(found))


def _index_for(policy: RulePolicy, lookup: Mapping[str, Any]) -> RuleIndex:
    """The policy's index of ``lookup`` (built on first use, per lookup)."""
    indexes: dict[int, RuleIndex] = policy.__dict__.setdefault("_xiaoke_rule_index", {})
    index = indexes.get(id(lookup))
    if index is None or index.size != len(lookup):
        index = indexes[id(lookup)] = RuleIndex.build(lookup)
    return index


def indexed_get_possible_keys(
    self: RulePolicy, lookup: dict[str, str], states: list[dict[str, Any]]
) -> set[str]:
    """``RulePolicy._get_possible_keys`` through the index (the same set).

    Args:
        self: The policy.
        lookup: One of its lookups (rule key → action or condition).
        states: The conversation's states, oldest first.

    Returns:
        The rule keys applicable to the conversation.
    """
    if not states:
        return set(lookup)
    index = _index_for(self, lookup)
    reversed_states = states[::-1]
    possible = [
        rule_key
        for rule_key in index.candidates(reversed_states[0])
        if self._is_rule_applicable(rule_key, 0, reversed_states[0])
    ]
    # a rule is applicable at every turn past its own length: stop there
    for turn in range(1, min(len(reversed_states), index.longest)):
        if not possible:
            break
        state = reversed_states[turn]
        possible = [
            key for key in possible if self._is_rule_applicable(key, turn, state)
        ]
    return set(possible)


def install_rule_index() -> None:
    """Make every ``RulePolicy`` look its rules up through the index."""
    RulePolicy._get_possible_keys = indexed_get_possible_keys


def uninstall_rule_index() -> None:
    """Back to Rasa's lookup."""
    RulePolicy._get_possible_keys = RASA_GET_POSSIBLE_KEYS
