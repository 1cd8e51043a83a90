"""Python laid out as ``ruff format`` would write it, for the code templates.

The templates call these (they are Jinja globals) wherever a line's length
depends on the intent's name: one line when it fits in 88 columns, else wrapped.
Every function returns its text without the final newline.
"""

from __future__ import annotations

import unicodedata

from bot.scaffold.spec import IntentSpec

LINE_LENGTH = 88


def width(line: str) -> int:
    """Columns a line takes (CJK characters take two, as ruff counts them)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def fit_call(
    indent: int, head: str, args: list[str], tail: str = ")", literal: bool = False
) -> str:
    """Render ``head(args)`` as ruff format would: one line, wrapped, or exploded.

    Args:
        indent: Columns of indentation.
        head: Everything up to and including the opening bracket.
        args: The arguments, already rendered.
        tail: The closing bracket and what follows it.
        literal: A tuple, list or dict display: split one item per line.
    """
    pad = " " * indent
    one = f"{pad}{head}{', '.join(args)}{tail}"
    if width(one) <= LINE_LENGTH:
        return one
    inner = f"{pad}    {', '.join(args)}"
    if not literal and width(inner) <= LINE_LENGTH:
        return f"{pad}{head}\n{inner}\n{pad}{tail}"
    exploded = "".join(f"{pad}    {arg},\n" for arg in args)
    return f"{pad}{head}\n{exploded}{pad}{tail}"


def import_block(imports: dict[str, list[str]]) -> str:
    """First-party ``from`` imports, sorted by module as ruff's isort sorts them."""
    return "\n".join(import_line(module, imports[module]) for module in sorted(imports))


def import_line(module: str, names: list[str]) -> str:
    """``from module import names`` as ruff (isort + format) would write it."""
    one = f"from {module} import {', '.join(names)}"
    if width(one) <= LINE_LENGTH:
        return one
    return f"from {module} import (\n" + "".join(f"    {n},\n" for n in names) + ")"


def slots_tuple(spec: IntentSpec) -> str:
    """The ``FLOW_SLOTS`` assignment: the form's slots in asking order."""
    names = [f'"{slot.name}"' for slot in spec.slots]
    if len(names) == 1:
        return f"FLOW_SLOTS: tuple[str, ...] = ({names[0]},)"
    return fit_call(0, "FLOW_SLOTS: tuple[str, ...] = (", names, literal=True)
