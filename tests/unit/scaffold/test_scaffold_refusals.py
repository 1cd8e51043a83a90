"""The scaffold refuses bad or clashing names, changing nothing; writes are atomic."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.scaffold import project
from bot.scaffold.cli import main
from bot.scaffold.spec import ScaffoldError, build_spec

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def tree(tmp_path) -> Path:
    """The parts of the project the scaffold reads and writes."""
    shutil.copytree(ROOT / "data", tmp_path / "data")
    shutil.copy(ROOT / "domain.yml", tmp_path)
    for folder in ("actions/clients", "tests/stories", "tests/unit"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "actions/identity.py").write_text("# stand-in\n")
    return tmp_path


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def refuse(tree: Path, capsys, *argv: str) -> str:
    before = snapshot(tree)
    assert main(["intent", *argv, "--root", str(tree)]) == 1
    assert snapshot(tree) == before
    err = capsys.readouterr().err
    assert err.startswith("scaffold: refused, nothing was changed:")
    return err


@pytest.mark.parametrize(
    "name",
    [
        "RequestInvoice",
        "request-invoice",
        "request__invoice",
        "_invoice",
        "invoice_",
        "开发票",
        "invoice2",
        "request invoice",
        "a" * 33,
    ],
)
def test_names_that_are_not_snake_case_ascii_are_refused(tree, capsys, name):
    err = refuse(tree, capsys, name, "--zh", "开发票")
    assert repr(name) in err


@pytest.mark.parametrize(
    "name",
    [
        "nlu_fallback",
        "out_of_scope",
        "restart",
        "session_start",
        "faq",
        "chitchat",
        "utter_invoice",
        "action_invoice",
        "validate_invoice",
        "class",
        "match",
    ],
)
def test_reserved_names_are_refused(tree, capsys, name):
    err = refuse(tree, capsys, name, "--zh", "开发票")
    assert "reserved" in err or "keyword" in err


def test_existing_intent_is_refused(tree, capsys):
    err = refuse(tree, capsys, "track_delivery", "--zh", "查物流")
    assert "intent 'track_delivery' already exists" in err


def test_name_whose_action_is_a_rasa_default_is_refused(tree, capsys):
    err = refuse(tree, capsys, "listen", "--zh", "听")
    assert "'action_listen' already exists" in err


def test_existing_file_is_refused(tree, capsys):
    (tree / "actions/clients/request_invoice.py").write_text("# someone's work\n")
    err = refuse(tree, capsys, "request_invoice", "--zh", "开发票")
    assert "actions/clients/request_invoice.py already exists" in err


def test_existing_slot_is_refused(tree, capsys):
    err = refuse(
        tree,
        capsys,
        "request_invoice",
        "--zh",
        "开发票",
        "--with-form",
        "--slots",
        "order_id,invoice_title",
    )
    assert "slot 'order_id' already exists" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--zh", "kaifapiao"], "must be Chinese"),
        (["--zh", "开[发]票"], "must be Chinese"),
        (["--slots", "invoice_title"], "--slots needs --with-form"),
        (["--with-form", "--slots", "tax_id,tax_id"], "slots given twice"),
        (["--with-form", "--slots", "Tax-Id"], "'Tax-Id' is not a snake_case"),
        (["--with-form", "--slots", "title=title"], "must be Chinese"),
    ],
)
def test_bad_options_are_refused(tree, capsys, argv, message):
    if "--zh" not in argv:
        argv = ["--zh", "开发票", *argv]
    assert message in refuse(tree, capsys, "request_invoice", *argv)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ScaffoldError) as refusal:
        build_spec("Bad-Name", "latin", False, "x=y")
    assert len(refusal.value.problems) == 4


def test_a_failed_write_puts_the_tree_back(tree, monkeypatch):
    spec = build_spec("request_invoice", "开发票", True, "invoice_title=发票抬头")
    files = project.plan(spec, tree)
    before = snapshot(tree)
    real_replace = Path.replace
    written = []

    def replace_then_fail(self, target):
        written.append(target)
        if len(written) == 5:
            raise OSError("disk full")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace_then_fail)
    with pytest.raises(OSError):
        project.write(files, tree)
    assert snapshot(tree) == before


def test_the_command_line_exits_non_zero_on_refusal(tree):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "bot.scaffold",
            "intent",
            "out_of_scope",
            "--zh",
            "无关",
            "--root",
            str(tree),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 1
    assert "reserved" in result.stderr
    assert result.stdout == ""
