"""The scaffold in a copy of the project: validate, unit tests, story tests pass.

Slow (about 90 s: Rasa's validator, a dialogue-only training, two story tests);
marked ``slow``. The commands are the ones docs/extending.md tells developers to
run, and ``test_the_guide_shows_the_commands_this_test_runs`` keeps them equal.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUIDE = ROOT / "docs/extending.md"
# What a copy needs to validate, train the dialogue and run the tests.
COPIED = ("actions", "bot", "data", "domain", "tests")
COPIED_FILES = ("config.yml", "endpoints.yml", "credentials.yml", "pyproject.toml")

SCAFFOLD_FORM = (
    "python -m bot.scaffold intent request_invoice --zh 开发票 --with-form "
    "--slots invoice_title=发票抬头,tax_id=税号"
)
SCAFFOLD_ONE_TURN = "python -m bot.scaffold intent price_protection --zh 申请价保"
VALIDATE = (
    "rasa data validate --domain domain --data data --config config.yml "
    "--fail-on-warnings"
)
UNIT_TEST = "pytest tests/unit/actions/test_{name}.py"
PROJECT_CHECKS = (
    "pytest tests/unit/test_domain_responses.py tests/unit/test_action_registry.py"
)
TRAIN_CORE = (
    "rasa train core --domain domain --stories data --config config.yml --out models"
)
STORY_TEST = (
    "rasa test core --model models --stories tests/stories/test_{name}.yml "
    "--fail-on-prediction-errors"
)
GUIDE_COMMANDS = (
    SCAFFOLD_FORM,
    SCAFFOLD_ONE_TURN,
    VALIDATE,
    UNIT_TEST.format(name="request_invoice"),
    TRAIN_CORE,
    STORY_TEST.format(name="request_invoice"),
    "make eval-nlu",
)
NAMES = ("request_invoice", "price_protection")


def run(command: str, cwd: Path, timeout: float = 240) -> subprocess.CompletedProcess:
    """Run a guide command in the copy with this venv's tools, the copy first."""
    argv = shlex.split(command)
    if argv[0] == "python":
        argv[0] = sys.executable
    elif argv[0] == "pytest":
        argv[:1] = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    else:
        argv[0] = str(BIN / argv[0])
    env = {
        **os.environ,
        "PYTHONPATH": str(cwd),  # the copy's actions and bot, not the editable install
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, (
        result.args,
        result.stdout[-3000:],
        result.stderr[-3000:],
    )
    return result.stdout


def failures(result: subprocess.CompletedProcess) -> set[str]:
    return set(re.findall(r"^FAILED (\S+)", result.stdout, re.MULTILINE))


@pytest.fixture(scope="module")
def copy(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("xiaoke")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    for folder in COPIED:
        shutil.copytree(ROOT / folder, root / folder, ignore=ignore)
    for name in COPIED_FILES:
        shutil.copy(ROOT / name, root / name)
    return root


@pytest.fixture(scope="module")
def scaffolded(copy) -> Path:
    # Checks the scaffold must not break, whatever else the tree holds today.
    baseline = failures(run(PROJECT_CHECKS, copy))
    for command in (SCAFFOLD_FORM, SCAFFOLD_ONE_TURN):
        ok(run(command, copy))
    copy.joinpath(".baseline").write_text("\n".join(sorted(baseline)))
    return copy


def test_the_guide_shows_the_commands_this_test_runs():
    guide = GUIDE.read_text("utf-8")
    missing = [command for command in GUIDE_COMMANDS if command not in guide]
    assert missing == []


@pytest.mark.slow
def test_scaffolded_intents_validate_pass_their_tests_and_keep_project_checks(
    scaffolded,
):
    for name in NAMES:
        assert (scaffolded / f"actions/{name}.py").is_file()
    ok(run(VALIDATE, scaffolded))
    for name in NAMES:
        assert "passed" in ok(run(UNIT_TEST.format(name=name), scaffolded))
    baseline = set(filter(None, scaffolded.joinpath(".baseline").read_text().split()))
    assert failures(run(PROJECT_CHECKS, scaffolded)) <= baseline
    generated = [
        f"{folder}/{name}.py"
        for name in NAMES
        for folder in ("actions", "actions/clients")
    ] + [f"tests/unit/actions/test_{name}.py" for name in NAMES]
    ok(run(f"ruff check {' '.join(generated)}", scaffolded))
    ok(run(f"ruff format --check {' '.join(generated)}", scaffolded))


@pytest.mark.slow
def test_scaffolded_story_tests_pass_on_a_dialogue_only_model(scaffolded):
    # Story tests give the intent of every user turn, so the NLU is not needed:
    # a dialogue-only model (about 25 s to train here) is enough for them.
    ok(run(TRAIN_CORE, scaffolded))
    for name in NAMES:
        output = run(
            STORY_TEST.format(name=name) + f" --out results/{name}", scaffolded
        )
        ok(output)
        report = (scaffolded / f"results/{name}/failed_test_stories.yml").read_text()
        assert report.startswith("# None of the test stories failed")
