"""The template files render exactly what the scaffold wrote before they existed.

``tests/fixtures/scaffold/<case>/`` holds, for each case below, every file the
scaffold writes for the intent (path with ``/`` as ``__``, plus ``.txt`` so no
tool reads them as code or data), as the Python-string templates wrote them
before they moved to ``bot/scaffold/templates/``, and the responses it appends
to ``domain.yml`` (``domain_responses.yml.txt``). A deliberate change to a
template changes its fixtures in the same commit.
"""

from __future__ import annotations

import difflib
import fnmatch
from pathlib import Path

import jinja2
import pytest
import tomli  # pytest's own dependency on Python 3.10

from bot.scaffold import render
from bot.scaffold.spec import build_spec

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests/fixtures/scaffold"
TEMPLATES = ROOT / "bot/scaffold/templates"
LONGEST = "abcdefghij_abcdefghij_abcdefghij"  # 32 characters, the maximum
# The fixture of the part the scaffold appends to domain.yml's responses.
RESPONSES = "domain_responses.yml"

# case → (build_spec arguments, example texts already in the training data)
CASES = {
    "request_invoice": (
        ("request_invoice", "开发票", True, "invoice_title=发票抬头,tax_id=税号"),
        set(),
    ),
    "price_protection": (
        ("price_protection", "申请价保", False, ""),
        {"我要申请价保", "申请价保"},
    ),
    "form_without_slots": (("change_address", "改地址", True, ""), set()),
    "one_slot_without_zh": (("change_address", "改地址", True, "new_address"), set()),
    "longest_names": (
        (
            LONGEST,
            "开发票开发票开发票开发票",
            True,
            f"{LONGEST[:-1]}x,b,{LONGEST[:-1]}y",
        ),
        set(),
    ),
}


def fixture_files(case: str) -> dict[str, bytes]:
    return {
        path.name.removesuffix(".txt").replace("__", "/"): path.read_bytes()
        for path in sorted((FIXTURES / case).iterdir())
    }


@pytest.mark.parametrize("case", CASES)
def test_rendered_files_are_byte_for_byte_the_fixtures(case):
    args, taken = CASES[case]
    spec = build_spec(*args)
    rendered = render.intent_files(spec, taken)
    assert list(rendered) == list(spec.files)
    rendered[RESPONSES] = render.domain_responses(spec)
    expected = fixture_files(case)
    assert sorted(rendered) == sorted(expected)
    for relative, text in rendered.items():
        want = expected[relative].decode("utf-8")
        diff = difflib.unified_diff(
            want.splitlines(keepends=True),
            text.splitlines(keepends=True),
            f"fixture {relative}",
            f"rendered {relative}",
        )
        assert text.encode("utf-8") == expected[relative], "".join(diff)


def test_an_undefined_variable_is_an_error_not_an_empty_string():
    spec = build_spec("request_invoice", "开发票", False, "")
    with pytest.raises(jinja2.UndefinedError, match="examples"):
        render.render("nlu.yml.j2", spec=spec)


def test_every_template_is_package_data():
    config = tomli.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["bot.scaffold"]
    package = TEMPLATES.parent
    templates = [
        str(path.relative_to(package))
        for path in TEMPLATES.rglob("*")
        if path.is_file()
    ]
    assert templates
    unshipped = [
        name
        for name in templates
        if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns)
    ]
    assert unshipped == []
    assert sorted(render.environment().list_templates()) == sorted(
        str(Path(name).relative_to("templates")) for name in templates
    )
