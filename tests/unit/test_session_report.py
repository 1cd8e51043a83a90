"""The test command's check that pytest finished its session (session_report.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.session_report import main

EARLY_EXIT = """
import os

def test_one():
    assert True

def test_leaves_the_process():
    os._exit(0)

def test_never_reached():
    assert True
"""

PASSING = """
import pytest

def test_one():
    assert True

@pytest.mark.skip(reason="shown as skipped")
def test_skipped():
    assert False
"""

FAILING = """
def test_fails():
    assert 1 == 2
"""


def run_pytest(tmp_path: Path, source: str) -> tuple[int, Path]:
    """Run pytest on one file in its own directory; return its status and report."""
    (tmp_path / "test_sample.py").write_text(source, encoding="utf-8")
    report = tmp_path / "pytest.xml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            f"--junitxml={report}",
            "test_sample.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return proc.returncode, report


def test_an_early_exit_with_status_0_fails_the_check(tmp_path, capsys):
    status, report = run_pytest(tmp_path, EARLY_EXIT)
    assert status == 0  # what the test command used to trust
    assert not report.exists()
    assert main([str(report)]) == 1
    assert "ended before its session finished" in capsys.readouterr().err


def test_a_finished_session_passes_and_is_counted(tmp_path, capsys):
    status, report = run_pytest(tmp_path, PASSING)
    assert status == 0
    assert main([str(report)]) == 0
    out = capsys.readouterr().out
    assert "2 tests, 1 passed, 1 skipped, 0 failed, 0 errors" in out


def test_failures_in_the_report_fail_the_check(tmp_path, capsys):
    status, report = run_pytest(tmp_path, FAILING)
    assert status == 1
    assert main([str(report)]) == 1
    assert "1 failed" in capsys.readouterr().err


def test_a_report_that_is_not_junit_fails_the_check(tmp_path):
    report = tmp_path / "pytest.xml"
    report.write_text("<html><body>not a report</body></html>", encoding="utf-8")
    assert main([str(report)]) == 1
    report.write_text("<testsuites>", encoding="utf-8")
    assert main([str(report)]) == 1
