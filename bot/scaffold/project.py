"""Read the project, check a new intent against it, then write every file at once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.scaffold import content, render, yamledit
from bot.scaffold.spec import IntentSpec, ScaffoldError

# Rasa's default domain path: plain `rasa train` and friends read it.
DOMAIN = "domain.yml"
TESTS_PACKAGE = "tests/unit/actions/__init__.py"
# Entity annotations in training examples: [text](entity) and [text]{...}.
_ANNOTATION = re.compile(r"\[([^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass
class ProjectNames:
    """Every name the project already uses (domain, training data, Rasa defaults).

    Attributes:
        intents: Domain and training-data intents (retrieval intents by base name).
        actions: Custom and default actions, forms, responses.
        slots: Domain slots and Rasa's own.
        examples: Every training example text (annotations removed).
    """

    intents: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)
    slots: set[str] = field(default_factory=set)
    examples: set[str] = field(default_factory=set)


def _names(entries: Any) -> set[str]:
    """Names from a domain list whose items are names or ``{name: {...}}``."""
    names: set[str] = set()
    for entry in entries or []:
        names |= set(entry) if isinstance(entry, dict) else {str(entry)}
    return names


def read_names(root: Path) -> ProjectNames:
    """Collect the names in ``domain.yml`` and ``data/`` plus Rasa's reserved ones.

    Args:
        root: The project root.

    Raises:
        ScaffoldError: The project is not where the scaffold expects it.
    """
    from rasa.shared.core import constants  # light module; only needed here

    if not (root / DOMAIN).is_file() or not (root / "data/nlu").is_dir():
        raise ScaffoldError(
            [f"{root} is not the Xiaoke project root (no {DOMAIN} or data/nlu/)"]
        )
    yaml = YAML(typ="safe", pure=True)
    names = ProjectNames(
        intents=set(constants.DEFAULT_INTENTS),
        actions=set(constants.DEFAULT_ACTION_NAMES),
        slots={constants.REQUESTED_SLOT, *constants.DEFAULT_SLOT_NAMES},
    )
    domain = yaml.load((root / DOMAIN).read_text("utf-8")) or {}
    names.intents |= _names(domain.get("intents"))
    names.actions |= _names(domain.get("actions"))
    names.actions |= set(domain.get("forms") or {})
    names.actions |= set(domain.get("responses") or {})
    names.slots |= set(domain.get("slots") or {})
    for path in sorted((root / "data").rglob("*.yml")):
        data = yaml.load(path.read_text("utf-8")) or {}
        for item in data.get("nlu") or []:
            if "intent" not in item:
                continue
            names.intents.add(str(item["intent"]).split("/")[0])
            for line in str(item.get("examples") or "").splitlines():
                text = line.strip().removeprefix("- ").strip()
                names.examples.add(_ANNOTATION.sub(r"\1", text))
    return names


def clashes(spec: IntentSpec, names: ProjectNames, root: Path) -> list[str]:
    """Everything the new intent would collide with (empty when it is free)."""
    problems = []
    if spec.name in names.intents:
        problems.append(f"intent {spec.name!r} already exists")
    for action in (*spec.actions, *spec.responses, *([spec.form] * spec.with_form)):
        if action in names.actions:
            problems.append(
                f"{action!r} already exists (an action, form or response of the "
                "domain, or a Rasa default action)"
            )
    for slot in spec.slots:
        if slot.name in names.slots:
            problems.append(
                f"slot {slot.name!r} already exists; the scaffold only creates new "
                "slots (add existing ones to the form's required_slots by hand)"
            )
    for relative in spec.files:
        if (root / relative).exists():
            problems.append(f"{relative} already exists")
    if (root / "actions" / spec.name).exists():
        problems.append(f"actions/{spec.name}/ already exists")
    return problems


def registered(spec: IntentSpec, domain_text: str) -> str:
    """``domain.yml`` with the intent added: registrations and responses.

    The intent, its actions, form and slots go at the end of their lists, under
    a comment naming the feature; its responses (``render.domain_responses``)
    at the end of ``responses``. Every other line is kept as it was.

    Raises:
        ScaffoldError: The domain has no such lists or ``responses``.
    """
    domain = yamledit.load(domain_text)
    missing = [
        key
        for key in ("intents", "actions", "forms", "slots", "responses")
        if not domain.get(key)
    ]
    if missing:
        raise ScaffoldError([f"{DOMAIN} has no {', '.join(missing)} to add to"])
    header = f"{spec.zh} (actions/{spec.name}.py)"
    yamledit.append_item(domain["intents"], spec.name, header)
    for index, action in enumerate(spec.actions):
        yamledit.append_item(domain["actions"], action, None if index else header)
    if spec.with_form:
        required = [slot.name for slot in spec.slots] or ["customer_id"]
        form = yamledit.to_yaml_node({"required_slots": required})
        yamledit.add_entry(domain["forms"], spec.form, form, header)
    for index, slot in enumerate(spec.slots):
        mapping = {
            "type": "from_text",
            "not_intent": list(content.NOT_A_SLOT_VALUE),
            "conditions": [{"active_loop": spec.form, "requested_slot": slot.name}],
        }
        definition = {
            "type": "text",
            "influence_conversation": False,
            "mappings": [mapping],
        }
        yamledit.add_entry(
            domain["slots"],
            slot.name,
            yamledit.to_yaml_node(definition),
            None if index else header,
        )
    text = yamledit.dump(domain)
    text = yamledit.append_to_block(text, "responses", render.domain_responses(spec))
    added = YAML(typ="safe", pure=True).load(text).get("responses") or {}
    if not set(spec.responses) <= set(added):
        raise ScaffoldError([f"the responses could not be added to {DOMAIN}"])
    return text


def plan(spec: IntentSpec, root: Path) -> dict[str, str]:
    """Every file to write (relative path → content), after every check.

    Raises:
        ScaffoldError: With every clash found; nothing has been written.
    """
    names = read_names(root)
    problems = clashes(spec, names, root)
    if problems:
        raise ScaffoldError(problems)
    files = render.intent_files(spec, names.examples)
    files[DOMAIN] = registered(spec, (root / DOMAIN).read_text("utf-8"))
    if not (root / TESTS_PACKAGE).exists():
        files[TESTS_PACKAGE] = render.render("actions_tests_init.py.j2")
    if not content.examples(spec, names.examples):
        raise ScaffoldError(
            [f"every generated example for {spec.zh!r} is already training data"]
        )
    return files


def write(files: dict[str, str], root: Path) -> None:
    """Write the planned files; on any failure, put the tree back as it was.

    Args:
        files: Relative path → content (new files and ``domain.yml``).
        root: The project root.
    """
    originals: dict[Path, str | None] = {}
    try:
        for relative, content in files.items():
            path = root / relative
            originals[path] = path.read_text("utf-8") if path.exists() else None
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.scaffold")
            temporary.write_text(content, "utf-8")
            temporary.replace(path)
    except BaseException:
        for path, original in originals.items():
            if original is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(original, "utf-8")
            path.with_name(f".{path.name}.scaffold").unlink(missing_ok=True)
        raise


def scaffold(spec: IntentSpec, root: Path) -> list[str]:
    """Check everything, then create the intent's files and register it.

    Args:
        spec: The new intent.
        root: The project root.

    Returns:
        The files written, relative to ``root``.

    Raises:
        ScaffoldError: Refused; nothing was changed.
    """
    files = plan(spec, root)
    write(files, root)
    return list(files)
