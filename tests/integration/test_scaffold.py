"""The scaffold in a copy of the project: validate, unit tests, story tests pass.

Slow (about 90 s: Rasa's validator, a dialogue-only training, two story tests);
marked ``slow``. The commands are the ones docs/extending.md tells developers to
run, and ``test_the_guide_shows_the_commands_this_test_runs`` keeps them equal.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUIDE = ROOT / "docs/extending.md"
# What a copy needs to validate, train the dialogue and run the tests.
COPIED = ("actions", "bot", "data", "tests")
COPIED_FILES = (
    "config.yml",
    "domain.yml",
    "endpoints.yml",
    "credentials.yml",
    "pyproject.toml",
)

SCAFFOLD_FORM = (
    "python -m bot.scaffold intent request_invoice --zh 开发票 --with-form "
    "--slots invoice_title=发票抬头,tax_id=税号"
)
SCAFFOLD_ONE_TURN = "python -m bot.scaffold intent price_protection --zh 申请价保"
# Rasa's defaults (config.yml, domain.yml, data/): no flags needed.
VALIDATE = "rasa data validate --fail-on-warnings"
UNIT_TEST = "pytest tests/unit/actions/test_{name}.py"
PROJECT_CHECKS = (
    "pytest tests/unit/test_domain_responses.py tests/unit/test_action_registry.py"
)
TRAIN_CORE = "rasa train core --out models"
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


@dataclass(frozen=True)
class PytestRun:
    """What a pytest run reported.

    Attributes:
        exit_code: 0 all passed, 1 some failed; 2 and above mean the run itself
            broke (interrupted, e.g. by a collection error; internal error;
            usage error; nothing collected).
        failed: Tests reported ``FAILED``.
        errors: Files or tests reported ``ERROR`` (collection, fixtures).
        passed: How many tests passed.
    """

    exit_code: int
    failed: frozenset[str]
    errors: frozenset[str]
    passed: int


def pytest_run(result: subprocess.CompletedProcess) -> PytestRun:
    """Read a ``pytest -q`` run (its short summary lists FAILED and ERROR lines)."""
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    passed = re.search(r"(\d+) passed", summary)
    return PytestRun(
        exit_code=result.returncode,
        failed=frozenset(re.findall(r"^FAILED (\S+)", result.stdout, re.MULTILINE)),
        errors=frozenset(re.findall(r"^ERROR (\S+)", result.stdout, re.MULTILINE)),
        passed=int(passed.group(1)) if passed else 0,
    )


def all_passed(result: subprocess.CompletedProcess) -> PytestRun:
    """Assert a pytest run collected everything and every test passed."""
    run_ = pytest_run(result)
    outcome = (run_.exit_code, run_.failed, run_.errors)
    assert outcome == (0, frozenset(), frozenset()), result.stdout[-3000:]
    assert run_.passed > 0, result.stdout[-3000:]
    return run_


def nothing_new_broke(before: PytestRun, after: PytestRun) -> None:
    """Assert ``after`` collected everything and failed nothing ``before`` passed.

    Args:
        before: The run on the unchanged tree (may already fail some tests).
        after: The same tests after the change.
    """
    assert before.exit_code in (0, 1) and not before.errors, (
        "the baseline run itself broke",
        before,
    )
    assert after.errors == frozenset(), f"failed to collect or set up: {after}"
    assert after.exit_code in (0, 1), f"pytest exit code {after.exit_code}"
    assert after.failed <= before.failed, after.failed - before.failed
    if before.exit_code == 0:
        assert after.exit_code == 0


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
    baseline = pytest_run(run(PROJECT_CHECKS, copy))
    for command in (SCAFFOLD_FORM, SCAFFOLD_ONE_TURN):
        ok(run(command, copy))
    copy.joinpath(".baseline.json").write_text(
        json.dumps(
            {**asdict(baseline), "failed": sorted(baseline.failed),
             "errors": sorted(baseline.errors)}
        )
    )  # fmt: skip
    return copy


def read_baseline(copy: Path) -> PytestRun:
    """The project checks' run before the scaffold ran (see ``scaffolded``)."""
    stored = json.loads(copy.joinpath(".baseline.json").read_text())
    return PytestRun(
        exit_code=stored["exit_code"],
        failed=frozenset(stored["failed"]),
        errors=frozenset(stored["errors"]),
        passed=stored["passed"],
    )


def test_the_regression_check_sees_failures_and_collection_errors(tmp_path):
    # The check above is only as good as its reading of pytest: show it a
    # failing test and a file that does not even import.
    tests = tmp_path / "tests"
    tests.mkdir()
    tests.joinpath("test_fine.py").write_text("def test_fine():\n    pass\n")
    command = "pytest tests"
    clean = all_passed(run(command, tmp_path))
    tests.joinpath("test_broken.py").write_text("import no_such_module_xk\n")
    broken = pytest_run(run(command, tmp_path))
    assert broken.errors == {"tests/test_broken.py"} and broken.exit_code == 2
    with pytest.raises(AssertionError):
        nothing_new_broke(clean, broken)
    tests.joinpath("test_broken.py").write_text("def test_no():\n    assert 0\n")
    failing = pytest_run(run(command, tmp_path))
    assert failing.failed == {"tests/test_broken.py::test_no"}
    with pytest.raises(AssertionError):
        nothing_new_broke(clean, failing)
    nothing_new_broke(failing, failing)  # failing before already is not new
    with pytest.raises(AssertionError):
        all_passed(run(command, tmp_path))


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
        all_passed(run(UNIT_TEST.format(name=name), scaffolded))
    after = pytest_run(run(PROJECT_CHECKS, scaffolded))
    nothing_new_broke(read_baseline(scaffolded), after)
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
