"""Add entries to a YAML file without losing its comments (ruamel.yaml round trip).

ruamel.yaml keeps a comment that follows a collection on the collection's last
(deepest) item; appending would leave the comment above the new entry. The
helpers here move such trailing comments down to the new last item. A block of
text (comments included) goes at the end of a top-level mapping as text.
"""

from __future__ import annotations

import copy
import io
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

Container = CommentedMap | CommentedSeq


def round_trip_yaml() -> YAML:
    """A round-trip YAML with the project's layout (2-space maps, offset lists)."""
    yaml = YAML()
    yaml.preserve_quotes = True  # type: ignore[assignment]
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # type: ignore[assignment]
    return yaml


def load(text: str) -> Any:
    """Parse YAML text for editing."""
    return round_trip_yaml().load(text)


def dump(data: Any) -> str:
    """Render edited YAML back to text."""
    out = io.StringIO()
    round_trip_yaml().dump(data, out)
    return out.getvalue()


def _last_path(node: Any) -> list[tuple[Container, Any]]:
    """(container, key) pairs from ``node`` down to its deepest last item."""
    path: list[tuple[Container, Any]] = []
    while isinstance(node, CommentedMap | CommentedSeq) and len(node):
        key = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        path.append((node, key))
        node = node[key]
    return path


def _slot(container: Container) -> int:
    # A map keeps the comment after a value at index 2, a sequence at index 0.
    return 2 if isinstance(container, CommentedMap) else 0


def _take_trailing_comment(node: Any) -> Any:
    """Detach the comment lines that follow ``node``'s last item (None if none)."""
    for container, key in reversed(_last_path(node)):
        entry = container.ca.items.get(key)
        token = entry[_slot(container)] if entry else None
        if token is None:
            continue
        end_of_line, _, rest = token.value.partition("\n")
        if end_of_line.strip():
            # An end-of-line comment stays with its item; only what follows moves.
            kept = copy.copy(token)
            kept.value = end_of_line + "\n"
            entry[_slot(container)] = kept
        elif any(entry[: _slot(container)] + entry[_slot(container) + 1 :]):
            entry[_slot(container)] = None
        else:
            del container.ca.items[key]
        moved = copy.copy(token)
        moved.value = "\n" + rest
        return moved
    return None


def _put_trailing_comment(node: Any, token: Any) -> None:
    path = _last_path(node)
    if token is None or not path:
        return
    container, key = path[-1]
    entry = container.ca.items.setdefault(key, [None, None, None, None])
    entry[_slot(container)] = token


def append_item(sequence: CommentedSeq, value: Any, comment: str | None = None) -> None:
    """Append to a sequence; a comment that followed it still follows it.

    Args:
        sequence: The sequence (at the top level's first indentation).
        value: The new item.
        comment: A comment line to put above the new item, if any.
    """
    trailing = _take_trailing_comment(sequence)
    sequence.append(value)
    if comment:
        sequence.yaml_set_comment_before_after_key(
            len(sequence) - 1, before=comment, indent=2
        )
    _put_trailing_comment(sequence, trailing)


def add_entry(
    mapping: CommentedMap, key: str, value: Any, comment: str | None = None
) -> None:
    """Add a key at the end of a mapping; a comment that followed it still does.

    Args:
        mapping: The mapping (at the top level's first indentation).
        key: The new key.
        value: Its value.
        comment: A comment line to put above the new key, if any.
    """
    trailing = _take_trailing_comment(mapping)
    mapping[key] = value
    if comment:
        mapping.yaml_set_comment_before_after_key(key, before=comment, indent=2)
    _put_trailing_comment(mapping, trailing)


def append_to_block(text: str, key: str, block: str) -> str:
    """Insert lines at the end of a top-level key's block, as text.

    The block ends before the next top-level key, or at the end of the text;
    blank lines and comments just above that next key stay with it.

    Args:
        text: A YAML document.
        key: A top-level key of it, e.g. ``responses``.
        block: Lines indented as the block's content, ending with a newline.

    Raises:
        ValueError: ``key`` is not a top-level key of ``text``.
    """
    lines = text.splitlines(keepends=True)
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if re.match(rf"{re.escape(key)}:\s*$", line)
        ),
        None,
    )
    if start is None:
        raise ValueError(f"no top-level {key!r} in the YAML text")
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i][:1] not in ("", " ", "#", "\n", "\r")
        ),
        len(lines),
    )
    if end < len(lines):
        # Blank lines and comments just above the next key stay with it.
        while end > start + 1 and (
            not lines[end - 1].strip() or lines[end - 1].startswith("#")
        ):
            end -= 1
    else:
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
    if end and not lines[end - 1].endswith("\n"):
        lines[end - 1] += "\n"
    return "".join(lines[:end]) + block + "".join(lines[end:])


def to_yaml_node(value: Any) -> Any:
    """Plain dicts and lists as ruamel collections (so comments can attach)."""
    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = to_yaml_node(item)
        return node
    if isinstance(value, list):
        return CommentedSeq(to_yaml_node(item) for item in value)
    return value
