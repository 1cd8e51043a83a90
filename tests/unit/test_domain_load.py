"""The model's domain parsed once: the same domain as Rasa's ``Domain.from_path``."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.graph_components.providers.domain_provider import DomainProvider
from rasa.shared.core.domain import Domain
from rasa.shared.utils.io import write_yaml

from bot.rasa_server.domain_load import (
    install_single_read_domain_load,
    read_model_domain,
    uninstall_single_read_domain_load,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def project_domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


def _same(got: Domain, want: Domain) -> None:
    assert got.as_dict() == want.as_dict()
    assert got.fingerprint() == want.fingerprint()
    assert got.intents == want.intents
    assert [slot.name for slot in got.slots] == [slot.name for slot in want.slots]
    assert got.responses == want.responses


def test_the_domain_a_model_holds_reads_as_rasa_reads_it(
    tmp_path: Path, project_domain: Domain
) -> None:
    project_domain.persist(tmp_path / "domain.yml")  # as DomainProvider persists it

    _same(read_model_domain(tmp_path), Domain.from_path(tmp_path))


def test_several_files_merge_as_rasa_merges_them_and_other_yaml_is_skipped(
    tmp_path: Path, project_domain: Domain
) -> None:
    data = project_domain.as_dict()
    responses = {"version": "3.1", "responses": data.pop("responses")}
    write_yaml(data, tmp_path / "domain.yml")
    (tmp_path / "nested").mkdir()
    write_yaml(responses, tmp_path / "nested" / "responses.yml")
    (tmp_path / "notes.yml").write_text("just: notes\n", encoding="utf-8")
    (tmp_path / "readme.txt").write_text("not yaml", encoding="utf-8")

    got = read_model_domain(tmp_path)

    _same(got, Domain.from_path(tmp_path))
    assert got.responses == project_domain.responses


def test_installed_the_provider_loads_that_domain_and_uninstalled_rasas(
    tmp_path: Path, project_domain: Domain
) -> None:
    storage = LocalModelStorage(tmp_path)
    resource = Resource("domain_provider")
    context = ExecutionContext(GraphSchema({}), node_name="domain_provider")
    with storage.write_to(resource) as directory:
        project_domain.persist(directory / "domain.yml")
    rasa_load = DomainProvider.__dict__["load"]

    install_single_read_domain_load()
    try:
        assert DomainProvider.__dict__["load"] is not rasa_load
        provider = DomainProvider.load({}, storage, resource, context)
    finally:
        uninstall_single_read_domain_load()

    assert DomainProvider.__dict__["load"] is rasa_load
    expected = DomainProvider.load({}, storage, resource, context)
    _same(provider.provide_inference(), expected.provide_inference())
