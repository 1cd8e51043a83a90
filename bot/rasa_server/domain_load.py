"""The model's domain read once at start, not three times and validated.

Rasa 3.6's ``DomainProvider.load`` reads the domain the model archive holds with
``Domain.from_path`` on its directory, which for each YAML file parses it to ask
whether it is a domain file, parses it again and checks it against Rasa's schema
(``Domain.from_file``, whose result is thrown away), then parses it a third time
to merge it. For our domain that is ≈ 0.22 s of the server's start, 0.14 s of it
the schema check.

The file was written by Rasa itself when the model was trained, from a domain
that was validated then: here each file is parsed once, recognised and merged
as Rasa does (``Domain.merge_domain_dicts``, then ``Domain.from_dict``), ≈ 0.05 s.
The domain is the same (a test compares ``as_dict()`` and the fingerprint with
Rasa's load). Only serving uses it (``bot.rasa_server.launcher``); training reads
the project's domain files as Rasa does, validation included.
"""

from __future__ import annotations

import os
from typing import Any

#: Rasa's own ``DomainProvider.load``, kept by the first install.
_RASA_LOAD: list[Any] = []
#: Set on ``DomainProvider`` while the replacement is installed.
_MARK = "_xiaoke_single_read"


def read_model_domain(path: str | os.PathLike[str]) -> Any:
    """The domain in a model's resource directory, each file parsed once.

    Args:
        path: The directory (Rasa's ``DomainProvider`` resource).

    Returns:
        The ``Domain``, as ``Domain.from_path(path)`` returns it.
    """
    from rasa.shared.core.domain import ALL_DOMAIN_KEYS, Domain
    from rasa.shared.data import is_likely_yaml_file
    from rasa.shared.utils.io import read_file, read_yaml

    combined: dict[str, Any] = {}
    for root, _, files in os.walk(path, followlinks=True):
        for file in files:
            full_path = os.path.join(root, file)
            if not is_likely_yaml_file(full_path):
                continue
            content = read_yaml(read_file(full_path))
            if isinstance(content, dict) and any(k in content for k in ALL_DOMAIN_KEYS):
                combined = Domain.merge_domain_dicts(content, combined)
    return Domain.from_dict(combined)


def install_single_read_domain_load() -> None:
    """Make ``DomainProvider.load`` read the model's domain with ``read_model_domain``.

    Idempotent.
    """
    from rasa.graph_components.providers.domain_provider import DomainProvider

    if getattr(DomainProvider, _MARK, False):
        return
    if not _RASA_LOAD:
        _RASA_LOAD.append(DomainProvider.__dict__["load"])

    def load(
        cls: type[DomainProvider],
        config: dict[str, Any],
        model_storage: Any,
        resource: Any,
        execution_context: Any,
        **kwargs: Any,
    ) -> DomainProvider:
        with model_storage.read_from(resource) as resource_directory:
            domain = read_model_domain(resource_directory)
        return cls(model_storage, resource, domain)

    DomainProvider.load = classmethod(load)
    setattr(DomainProvider, _MARK, True)


def uninstall_single_read_domain_load() -> None:
    """Back to Rasa's ``DomainProvider.load``."""
    from rasa.graph_components.providers.domain_provider import DomainProvider

    if _RASA_LOAD:
        DomainProvider.load = _RASA_LOAD[0]
    setattr(DomainProvider, _MARK, False)
