"""Check that a pytest run finished its session, from the JUnit report it wrote.

Usage (the Makefile's ``unit`` target)::

    python -m tests.support.session_report results/pytest.xml

pytest writes its JUnit report when the session ends. A process that leaves
early with ``os._exit`` (a shutdown deadline armed in the test process did once,
with status 0, after about 700 of 2,500 tests) writes none, and its exit status
alone looks like success. This check fails when the report is missing, holds no
tests, or records failures or errors, and prints the counts otherwise.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from defusedxml import ElementTree


@dataclass(frozen=True)
class SessionCounts:
    """What a JUnit report says about one pytest session.

    Attributes:
        tests: Test cases run (skipped ones included).
        failures: Failed assertions.
        errors: Errors in tests or fixtures.
        skipped: Skipped tests.
    """

    tests: int
    failures: int
    errors: int
    skipped: int


def read_counts(report: Path) -> SessionCounts:
    """Sum the counts of every test suite in a JUnit report.

    Args:
        report: The XML file pytest's ``--junitxml`` wrote.

    Returns:
        The summed counts.

    Raises:
        FileNotFoundError: There is no report (the session never finished).
        ValueError: The report is not a JUnit report.
    """
    root = ElementTree.parse(str(report)).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    if not suites:
        raise ValueError(f"{report} holds no <testsuite>")

    def total(name: str) -> int:
        return sum(int(suite.get(name, "0")) for suite in suites)

    return SessionCounts(
        tests=total("tests"),
        failures=total("failures"),
        errors=total("errors"),
        skipped=total("skipped"),
    )


def problem(counts: SessionCounts) -> str | None:
    """Why a finished session still does not pass, or ``None``.

    Args:
        counts: The session's counts.

    Returns:
        A sentence naming the problem, or ``None`` when the session passed.
    """
    if counts.tests == 0:
        return "the session ran no tests"
    if counts.failures or counts.errors:
        return f"{counts.failures} failed, {counts.errors} errors"
    return None


def main(argv: list[str] | None = None) -> int:
    """Print the session's counts; exit 1 when it did not finish or pass.

    Args:
        argv: Command-line arguments (the report's path).

    Returns:
        The exit status.
    """
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print(
            "usage: python -m tests.support.session_report REPORT.xml", file=sys.stderr
        )
        return 2
    report = Path(args[0])
    try:
        counts = read_counts(report)
    except FileNotFoundError:
        print(
            f"pytest wrote no report ({report}): the test process ended before its "
            "session finished (an os._exit or a crash?)",
            file=sys.stderr,
        )
        return 1
    except (ValueError, ElementTree.ParseError) as exc:
        print(f"unreadable pytest report {report}: {exc}", file=sys.stderr)
        return 1
    passed = counts.tests - counts.failures - counts.errors - counts.skipped
    print(
        f"pytest session finished: {counts.tests} tests, {passed} passed, "
        f"{counts.skipped} skipped, {counts.failures} failed, {counts.errors} errors"
    )
    reason = problem(counts)
    if reason:
        print(f"pytest session did not pass: {reason}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
