"""What a new intent is called and collects, checked before anything is written."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass

# Letters and underscores only: the project's response checks
# (tests/unit/test_domain_responses.py) match ``utter_[a-z_]+``.
NAME = re.compile(r"^[a-z]+(?:_[a-z]+)*$")
MAX_NAME_LENGTH = 32
# Chinese text (and ASCII letters or digits, e.g. "VIP"), nothing Rasa's training
# data format would read as markup (brackets, braces, parentheses).
ZH = re.compile(r"^[\u4e00-\u9fffA-Za-z0-9]+$")
HAS_HAN = re.compile(r"[\u4e00-\u9fff]")
MAX_ZH_LENGTH = 12
# Prefixes Rasa gives a meaning to, and names it reserves (intents, actions, slots).
RESERVED_PREFIXES = ("utter_", "action_", "validate_")
RESERVED_NAMES = frozenset(
    {
        "nlu_fallback",
        "out_of_scope",
        "restart",
        "back",
        "session_start",
        "faq",
        "chitchat",
        "inform",
        "requested_slot",
    }
)


class ScaffoldError(Exception):
    """The request was refused; nothing was changed.

    Attributes:
        problems: Every reason, one sentence each, for the developer.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SlotSpec:
    """A slot the new form asks for.

    Attributes:
        name: Slot name (snake_case).
        zh: What the shopper is asked for, in Chinese (empty: not given).
    """

    name: str
    zh: str = ""


@dataclass(frozen=True)
class IntentSpec:
    """A new intent and the names of everything generated for it.

    Attributes:
        name: Intent name, e.g. ``request_invoice``.
        zh: Chinese name, e.g. ``开发票``.
        with_form: Whether a form (identity first, then ``slots``) comes first.
        slots: The form's own slots, in asking order.
    """

    name: str
    zh: str
    with_form: bool = False
    slots: tuple[SlotSpec, ...] = ()

    @property
    def camel(self) -> str:
        """``request_invoice`` → ``RequestInvoice``."""
        return "".join(part.capitalize() for part in self.name.split("_"))

    @property
    def action(self) -> str:
        """Name of the final action."""
        return f"action_{self.name}"

    @property
    def form(self) -> str:
        """Name of the form."""
        return f"{self.name}_form"

    @property
    def validation(self) -> str:
        """Name of the form's validation action."""
        return f"validate_{self.name}_form"

    @property
    def client_class(self) -> str:
        """Class name of the client stub."""
        return f"{self.camel}Client"

    @property
    def url_variable(self) -> str:
        """Environment variable with the base URL of the merchant's service."""
        return f"{self.name.upper()}_URL"

    @property
    def endpoint(self) -> str:
        """Path the client stub calls."""
        return "/v1/" + self.name.replace("_", "-")

    @property
    def responses(self) -> tuple[str, ...]:
        """Every response generated for the intent."""
        asks = tuple(f"utter_ask_{slot.name}" for slot in self.slots)
        return (*asks, f"utter_{self.name}_done", f"utter_{self.name}_refused")

    @property
    def actions(self) -> tuple[str, ...]:
        """Every custom action generated for the intent."""
        return (self.validation, self.action) if self.with_form else (self.action,)

    @property
    def files(self) -> tuple[str, ...]:
        """Every file the scaffold creates, relative to the project root.

        Besides these it edits ``domain.yml`` (registrations and responses).
        """
        return (
            f"data/nlu/{self.name}.yml",
            f"data/rules/{self.name}.yml",
            f"actions/{self.name}.py",
            f"actions/clients/{self.name}.py",
            f"tests/unit/actions/test_{self.name}.py",
            f"tests/stories/test_{self.name}.yml",
        )


def check_name(name: str, what: str) -> list[str]:
    """Problems with an intent or slot name (empty when it is fine)."""
    if not NAME.match(name):
        return [
            f"{what} {name!r} is not a snake_case name of ASCII letters "
            "(lower case, words joined by single underscores, e.g. request_invoice)"
        ]
    problems = []
    if len(name) > MAX_NAME_LENGTH:
        problems.append(
            f"{what} {name!r} is longer than {MAX_NAME_LENGTH} characters "
            "(generated lines must fit in 88 columns)"
        )
    if name in RESERVED_NAMES or name.startswith(RESERVED_PREFIXES):
        problems.append(
            f"{what} {name!r} is reserved by Rasa or by this project "
            f"(reserved: {', '.join(sorted(RESERVED_NAMES))}; "
            f"prefixes {', '.join(RESERVED_PREFIXES)})"
        )
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        problems.append(f"{what} {name!r} is a Python keyword (it names a module)")
    return problems


def check_zh(zh: str, what: str) -> list[str]:
    """Problems with a Chinese name (empty when it is fine)."""
    if not ZH.match(zh) or not HAS_HAN.search(zh):
        return [
            f"{what} {zh!r} must be Chinese (letters or digits allowed, no spaces, "
            "punctuation or brackets), e.g. 开发票"
        ]
    if len(zh) > MAX_ZH_LENGTH:
        return [f"{what} {zh!r} is longer than {MAX_ZH_LENGTH} characters"]
    return []


def parse_slots(text: str) -> tuple[list[SlotSpec], list[str]]:
    """Parse ``--slots a,b`` or ``--slots a=中文,b=中文``.

    Args:
        text: The option's value (may be empty).

    Returns:
        The slots and the problems found.
    """
    slots: list[SlotSpec] = []
    problems: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        name, _, zh = (piece.strip() for piece in item.partition("="))
        problems += check_name(name, "slot")
        if zh:
            problems += check_zh(zh, f"Chinese name of slot {name!r}")
        slots.append(SlotSpec(name, zh))
    names = [slot.name for slot in slots]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        problems.append(f"slots given twice: {', '.join(duplicates)}")
    return slots, problems


def build_spec(name: str, zh: str, with_form: bool, slots_text: str) -> IntentSpec:
    """Check the command line's values and build the spec.

    Raises:
        ScaffoldError: With every problem found (names, Chinese name, slots).
    """
    problems = check_name(name, "intent")
    problems += check_zh(zh, "--zh")
    slots, slot_problems = parse_slots(slots_text)
    problems += slot_problems
    if slots and not with_form:
        problems.append("--slots needs --with-form (a form asks for the slots)")
    if name in {slot.name for slot in slots}:
        problems.append(f"slot {name!r} has the intent's name")
    if problems:
        raise ScaffoldError(problems)
    return IntentSpec(name, zh, with_form, tuple(slots))
