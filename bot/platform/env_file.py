"""Read ``KEY=VALUE`` environment files (``profiles/production.env``, ``var/*.env``)."""

from __future__ import annotations

from pathlib import Path


class EnvFileError(ValueError):
    """A line of an environment file is not ``KEY=VALUE``."""


def read_env_file(path: Path) -> dict[str, str]:
    """Read ``KEY=VALUE`` lines (``#`` comments, blank lines; no quoting).

    Args:
        path: The file.

    Returns:
        Every variable it sets, keys and values stripped of surrounding blanks.

    Raises:
        EnvFileError: A line is neither blank, a comment nor ``KEY=VALUE`` with
            a key that is an identifier; the message names the file and line.
    """
    values: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, separator, value = line.partition("=")
        if not separator or not key.strip().isidentifier():
            raise EnvFileError(f"{path}:{number}: expected KEY=VALUE, got {line!r}")
        values[key.strip()] = value.strip()
    return values
