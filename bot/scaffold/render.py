"""Render the scaffold's Jinja templates (``bot/scaffold/templates/``)."""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from bot.scaffold import content, layout
from bot.scaffold.spec import IntentSpec

# Each template and the new file it becomes, relative to the project root.
FILES = (
    ("nlu.yml.j2", "data/nlu/{name}.yml"),
    ("rules.yml.j2", "data/rules/{name}.yml"),
    ("action.py.j2", "actions/{name}.py"),
    ("client.py.j2", "actions/clients/{name}.py"),
    ("test_unit.py.j2", "tests/unit/actions/test_{name}.py"),
    ("stories.yml.j2", "tests/stories/test_{name}.yml"),
)
# The intent's responses, appended to the ``responses`` of ``domain.yml``.
DOMAIN_RESPONSES = "domain_responses.yml.j2"


@cache
def environment() -> jinja2.Environment:
    """The templates' environment (built on first use).

    Block tags take no line of their own in the output (``trim_blocks`` and
    ``lstrip_blocks``); an undefined variable is an error, never an empty string.
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.scaffold", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - Python and YAML, not HTML
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        generated=content.GENERATED,
        fit_call=layout.fit_call,
        import_block=layout.import_block,
        slots_tuple=layout.slots_tuple,
    )
    return env


def render(template: str, **variables: Any) -> str:
    """One template rendered with ``variables`` (and the environment's globals)."""
    return environment().get_template(template).render(**variables)


def intent_files(spec: IntentSpec, taken: set[str]) -> dict[str, str]:
    """Every file of a new intent (relative path → content).

    Args:
        spec: The intent.
        taken: Example texts already in the training data (any intent).
    """
    data = content.template_data(spec, taken)
    return {
        path.format(name=spec.name): render(template, spec=spec, **data[template])
        for template, path in FILES
    }


def domain_responses(spec: IntentSpec) -> str:
    """The intent's responses: a commented part to append to ``domain.yml``.

    Lines indented as entries of the domain's ``responses`` mapping, starting
    with a blank line and a header comment naming the feature.
    """
    return render(DOMAIN_RESPONSES, spec=spec)
