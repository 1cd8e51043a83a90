"""Command line: ``python -m bot.scaffold intent <name> --zh <中文名> [...]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.scaffold.project import scaffold
from bot.scaffold.spec import IntentSpec, ScaffoldError, build_spec

NEXT_STEPS = """\
Next (docs/extending.md walks through each):
  1. data/nlu/{name}.yml: write at least 40 real, varied examples.
  2. actions/clients/{name}.py: wire POST {endpoint} to the merchant's system
     ({url_variable}); adapt the validation and replies in actions/{name}.py.
  3. .venv/bin/rasa data validate --fail-on-warnings
  4. .venv/bin/pytest tests/unit/actions/test_{name}.py; make test; make eval-nlu.
"""


def parser() -> argparse.ArgumentParser:
    """The command line parser."""
    root = argparse.ArgumentParser(
        prog="python -m bot.scaffold",
        description="Create the files for a new shopper intent in the project's style.",
    )
    commands = root.add_subparsers(dest="command", required=True)
    intent = commands.add_parser(
        "intent",
        help="a new intent: NLU data, domain, rule(s), action, client stub, tests",
    )
    intent.add_argument("name", help="snake_case intent name, e.g. request_invoice")
    intent.add_argument("--zh", required=True, help="Chinese name, e.g. 开发票")
    intent.add_argument(
        "--with-form",
        action="store_true",
        help="a form first (identity, then --slots), the action when it is done",
    )
    intent.add_argument(
        "--slots",
        default="",
        help="the form's new slots in asking order: a,b or a=中文名,b=中文名",
    )
    intent.add_argument(
        "--root",
        type=Path,
        default=Path.cwd(),
        help="project root (default: the current directory)",
    )
    return root


def next_steps(spec: IntentSpec) -> str:
    """What the developer does after the scaffold ran."""
    return NEXT_STEPS.format(
        name=spec.name, endpoint=spec.endpoint, url_variable=spec.url_variable
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; 0 when the files were written, 1 when refused."""
    args = parser().parse_args(argv)
    try:
        spec = build_spec(args.name, args.zh, args.with_form, args.slots)
        written = scaffold(spec, args.root.resolve())
    except ScaffoldError as refusal:
        print("scaffold: refused, nothing was changed:", file=sys.stderr)
        for problem in refusal.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(f"scaffold: {spec.name} ({spec.zh}) created:")
    for relative in written:
        print(f"  {relative}")
    print(next_steps(spec))
    return 0
