"""Environment files: ``KEY=VALUE`` lines, comments, and a refusal of anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.platform.env_file import EnvFileError, read_env_file
from profiles import launch


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "some.env"
    path.write_text(text, encoding="utf-8")
    return path


def test_values_are_read_without_comments_or_blank_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "# a comment\n\n  RASA_PORT = 5005 \nRASA_DB_PASSWORD=\n"
        "URL=postgresql://u@h/db?x=1\n",
    )
    assert read_env_file(path) == {
        "RASA_PORT": "5005",
        "RASA_DB_PASSWORD": "",
        "URL": "postgresql://u@h/db?x=1",
    }


@pytest.mark.parametrize("line", ["export", "1ABC=x", "MY-KEY=x", "=value"])
def test_a_line_that_is_not_key_equals_value_is_refused_with_its_number(
    tmp_path: Path, line: str
) -> None:
    path = write(tmp_path, f"# defaults\nGOOD=1\n{line}\n")
    with pytest.raises(EnvFileError, match=r"some\.env:3: expected KEY=VALUE"):
        read_env_file(path)


def test_the_production_launcher_reports_a_bad_line_as_a_profile_error(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "SANIC_WORKERS 2\n")
    with pytest.raises(launch.ProfileError, match=r"some\.env:1: expected KEY=VALUE"):
        launch.read_env_file(path)


def test_the_profile_defaults_are_a_valid_env_file() -> None:
    defaults = read_env_file(launch.DEFAULTS)
    assert defaults["RASA_ENDPOINTS"] == "endpoints.production.yml"
    assert "RASA_TOKEN" not in defaults  # secrets never live there
