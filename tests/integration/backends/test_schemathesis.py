"""Contract fuzzing: Schemathesis sends what bot/backends/openapi.yaml allows, and more.

Both reference services run as real processes on fresh SQLite databases. The
Schemathesis CLI, from its own virtual environment (``.venv-contract``, made by
``make contract-venv``: its pins are not Rasa's), generates about a thousand
requests per service from the contract, valid and invalid ones, and runs every
check it has: no server error, only documented statuses, content types, headers
and bodies, schema-valid requests accepted, schema-invalid ones refused, and 405
with ``Allow`` for methods a path does not list. Generation is deterministic, so
a failure reproduces with the same command. ``schemathesis.toml`` beside this file
says which statuses count as accepting or refusing input.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT
from tests.support.backend_processes import run_backends
from tests.support.contract import OPENAPI_PATH
from tests.support.services import unavailable

CLI = ROOT / ".venv-contract" / "bin" / "schemathesis"
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Per operation and phase; about 2,000 requests for both services together.
MAX_EXAMPLES = 25
TIMEOUT = 600


@dataclass(frozen=True)
class FuzzRun:
    """What one Schemathesis run printed and how it ended."""

    returncode: int
    output: str

    @property
    def generated(self) -> int:
        """How many test cases (requests) it generated."""
        found = re.search(r"(\d+) generated", self.output)
        return int(found.group(1)) if found else 0

    def report(self) -> str:
        """The part worth reading in a failure message: failures and summary."""
        start = self.output.find("=== FAILURES ===")
        return self.output[start if start >= 0 else -6000 :][-15000:]


def schemathesis() -> Path:
    """Return the CLI; skip (fail under CI) when its environment is missing."""
    if not CLI.exists():
        unavailable(
            f"{CLI.relative_to(ROOT)} is missing: `make contract-venv` creates it "
            "(make test does)"
        )
    return CLI


def fuzz(
    workdir: Path,
    base_url: str,
    token: str,
    *selection: str,
    spec: Path = OPENAPI_PATH,
    max_examples: int = MAX_EXAMPLES,
) -> FuzzRun:
    """Run ``schemathesis run`` with every check against one service.

    Args:
        workdir: Where it runs (it keeps a cache directory there).
        base_url: The service's base URL.
        token: The bearer token the services share.
        selection: Options that pick operations or phases.
        spec: The OpenAPI document.
        max_examples: Test cases per operation and phase.

    Returns:
        Its exit code and output.
    """
    command = [
        str(schemathesis()),
        "--config-file",
        str(CONFIG),
        "run",
        str(spec),
        "--url",
        base_url,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "all",
        "--generation-deterministic",
        "--max-examples",
        str(max_examples),
        "--workers",
        "1",
        "--no-color",
        *selection,
    ]
    completed = subprocess.run(
        command,
        cwd=workdir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=TIMEOUT,
        check=False,
    )
    (workdir / "schemathesis.log").write_text(completed.stdout, "utf-8")
    return FuzzRun(completed.returncode, completed.stdout)


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Both services on fresh SQLite databases (the environment actions use)."""
    schemathesis()  # no services started for nothing
    with run_backends(tmp_path_factory.mktemp("contract-fuzz")) as env:
        yield env


@pytest.mark.parametrize(
    ("tag", "url"),
    [("orders", "ORDERS_URL"), ("crm", "CRM_URL")],
    ids=["orders", "crm"],
)
def test_service_agrees_with_the_contract_under_fuzzing(
    services: dict[str, str], tmp_path: Path, tag: str, url: str
) -> None:
    run = fuzz(
        tmp_path,
        services[url],
        services["BACKEND_API_TOKEN"],
        "--include-tag",
        tag,
    )
    print(f"schemathesis, {tag} service: {run.generated} requests generated")
    assert run.returncode == 0, (
        f"Schemathesis found disagreements between bot/backends/openapi.yaml and "
        f"the {tag} service:\n{run.report()}"
    )
    # It did test something, and every case passed.
    assert run.generated > 500, run.report()
    assert f"{run.generated} generated, {run.generated} passed" in run.output


def test_fuzzing_reports_a_response_the_contract_does_not_allow(
    services: dict[str, str], tmp_path: Path
) -> None:
    """A harness that cannot fail proves nothing: break the contract on purpose."""
    document = yaml.safe_load(OPENAPI_PATH.read_text("utf-8"))
    health = document["paths"]["/health"]["get"]["responses"]["200"]
    health["content"]["application/json"]["schema"]["properties"]["status"] = {
        "const": "down"
    }
    broken = tmp_path / "openapi.yaml"
    broken.write_text(yaml.safe_dump(document, allow_unicode=True), "utf-8")

    run = fuzz(
        tmp_path,
        services["ORDERS_URL"],
        services["BACKEND_API_TOKEN"],
        "--include-path",
        "/health",
        "--phases",
        "examples,coverage",
        spec=broken,
        max_examples=3,
    )

    assert run.returncode != 0, run.output
    assert "Response violates schema" in run.output, run.output
