"""What the scaffold writes: lint-clean Python at any name length, domain.yml kept."""

from __future__ import annotations

import difflib
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.scaffold import project, render, yamledit
from bot.scaffold.spec import build_spec

ROOT = Path(__file__).resolve().parents[3]
RUFF = Path(sys.executable).parent / "ruff"
LONGEST = "abcdefghij_abcdefghij_abcdefghij"  # 32 characters, the maximum

SPECS = [
    ("request_invoice", "开发票", True, "invoice_title=发票抬头,tax_id=税号"),
    ("price_protection", "申请价保", False, ""),
    ("change_address", "改地址", True, ""),
    ("change_address", "改地址", True, "new_address"),
    (LONGEST, "开发票开发票开发票开发票", True, f"{LONGEST[:-1]}x,b,{LONGEST[:-1]}y"),
]


@pytest.fixture
def tree(tmp_path) -> Path:
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copy(ROOT / "domain.yml", tmp_path)
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    # The packages the generated code imports, so ruff classifies them as here.
    shutil.copytree(ROOT / "actions", tmp_path / "actions")
    shutil.copytree(ROOT / "tests/support", tmp_path / "tests/support")
    (tmp_path / "tests/__init__.py").write_text("")
    return tmp_path


@pytest.mark.parametrize("args", SPECS, ids=lambda args: f"{args[0][:12]}-{args[3]}")
def test_generated_python_is_ruff_clean(tree, args):
    files = project.plan(build_spec(*args), tree)
    project.write(files, tree)
    python = [name for name in files if name.endswith(".py")]
    for command in (["check"], ["format", "--check"]):
        result = subprocess.run(
            [str(RUFF), *command, *python],
            cwd=tree,
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr


def test_the_domain_only_gains_lines_and_keeps_its_comments(tree):
    before = (tree / project.DOMAIN).read_text("utf-8")
    spec = build_spec("request_invoice", "开发票", True, "invoice_title=发票抬头")
    after = project.plan(spec, tree)[project.DOMAIN]
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert not [line for line in diff if line.startswith("- ")]
    added = [line[2:] for line in diff if line.startswith("+ ")]
    header = "  # 开发票 (actions/request_invoice.py)"
    assert "  - request_invoice" in added
    assert "  - validate_request_invoice_form" in added
    assert "  request_invoice_form:" in added
    assert "  invoice_title:" in added
    assert "  utter_request_invoice_done:" in added
    # intents, slots, forms, actions, then the responses' section: one header each.
    assert added.count(header) == 5
    # Appended entries come after the comment that closes each list, not before.
    lines = after.splitlines()
    assert lines.index("  - request_invoice") < lines.index("entities:")
    assert lines.index("  invoice_title:") < lines.index("forms:") - 3
    assert lines[lines.index("  - request_invoice") - 1] == header
    # The responses come last, after every response the domain had.
    assert lines.index("  utter_request_invoice_done:") > max(
        lines.index(line) for line in before.splitlines() if line.startswith("  utter_")
    )


def test_the_domain_loads_in_rasa_with_the_intent_registered(tree):
    from rasa.shared.core.domain import Domain

    spec = build_spec("request_invoice", "开发票", True, "invoice_title=发票抬头")
    project.write(project.plan(spec, tree), tree)
    domain = Domain.load(str(tree / project.DOMAIN))
    assert "request_invoice" in domain.intents
    assert {"validate_request_invoice_form", "action_request_invoice"} <= set(
        domain.user_actions
    )
    assert "request_invoice_form" in domain.form_names
    assert "invoice_title" in [slot.name for slot in domain.slots]
    assert set(spec.responses) <= set(domain.responses)


def test_append_to_block_ends_the_block_before_the_next_key_and_its_comment():
    text = "a:\n  - 1\n\n# about b\nb:\n  - 2\n"
    assert yamledit.append_to_block(text, "a", "  - 3\n") == (
        "a:\n  - 1\n  - 3\n\n# about b\nb:\n  - 2\n"
    )
    assert yamledit.append_to_block(text, "b", "  - 3\n").endswith("  - 2\n  - 3\n")
    with pytest.raises(ValueError, match="'c'"):
        yamledit.append_to_block(text, "c", "  - 3\n")


def test_generated_examples_skip_existing_training_data(tree):
    spec = build_spec("request_invoice", "开发票", False, "")
    names = project.read_names(tree)
    names.examples.add("我要开发票")
    nlu = render.intent_files(spec, names.examples)["data/nlu/request_invoice.yml"]
    assert "- 我要开发票\n" not in nlu
    assert "- 帮我开发票一下\n" in nlu
