"""Rasa's command line with masked logs, cheap reply validation and NLU off the loop.

``python -m bot.rasa_server run …`` takes exactly the arguments of ``rasa``;
the Procfile, the tests and the benchmarks start the Rasa server this way.

Rasa 3.6's ``RemoteAction._validate_action_result`` calls
``jsonschema.validate(result, schema)`` on every custom-action reply, which
first checks Rasa's constant schema against the draft 2020-12 metaschema: with
jsonschema 4.17 that is about 20 ms of CPU per call, about 90 % of a custom
action's cost inside Rasa and a third of a whole turn (benchmarks/README.md,
"Where a turn's CPU goes"). Here the schema is checked once and the same
validator class validates every reply; the errors raised are the same
(``best_match`` with Rasa's message appended). Rasa 3.6 offers no hook for this,
so the method is replaced before Rasa starts (Sanic's workers are forked from this
process and inherit it).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

from bot.platform.logs import install_log_masking
from bot.platform.worker_sockets import install_worker_sockets
from bot.rasa_server.domain_load import install_single_read_domain_load
from bot.rasa_server.fast_model_load import install_fast_model_load
from bot.rasa_server.graph_optimizer import serve_without_graph_optimizer
from bot.rasa_server.model_unpack_cache import cache_dir_from_env, install_model_cache
from bot.rasa_server.nlu_offload import install_nlu_offload
from bot.rasa_server.shared_spacy import install_shared_spacy_model
from bot.rasa_server.slim_checkpoints import install_slim_checkpoints
from bot.rasa_server.sparse_concat import install_fast_sparse_concat
from bot.rasa_server.training_fingerprints import install_keyed_fingerprints
from bot.rasa_server.turn_speedups import install_levers

#: Pending connections the Rasa server's socket holds (``SANIC_BACKLOG``).
DEFAULT_BACKLOG = 1024
#: Packages the server never uses that would be imported on the way to what it
#: uses: TensorFlow's TFLite converter tries ``from jax import xla_computation``
#: (``tensorflow/lite/python/util.py``) and does without it on ImportError;
#: jax, jaxlib and filelock were about a fifth of importing TensorFlow.
UNUSED_IMPORTS = ("jax",)


def _validators_by_event(
    schema: dict[str, Any], validator_class: Any
) -> dict[str, Any] | None:
    """One validator per event kind, or None when the schema cannot be split so.

    Rasa's event item schema is a common part plus ``oneOf`` 23 kinds, each
    fixing ``event`` to a constant: an event is valid exactly when it is valid
    against the common part and its own kind (the others then fail on
    ``event``), so checking that one kind gives the same verdict as ``oneOf``.
    """
    item = schema["properties"]["events"]["items"]
    common = {key: value for key, value in item.items() if key != "oneOf"}
    by_event: dict[str, Any] = {}
    for kind in item.get("oneOf", []):
        name = kind.get("properties", {}).get("event", {}).get("const")
        if not isinstance(name, str) or name in by_event:
            return None
        by_event[name] = validator_class({"allOf": [common, kind]})
    return by_event or None


def install_compiled_action_validator() -> None:
    """Replace Rasa's per-call schema check by compiled validators.

    A reply whose events each pass their own kind's validator (and whose
    ``responses`` is a list of objects) is valid; anything else goes through
    the whole schema, which finds the same error Rasa's check raises.
    """
    from jsonschema import ValidationError
    from jsonschema.exceptions import best_match
    from jsonschema.validators import validator_for
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    by_event = _validators_by_event(schema, validator_class)

    def plainly_valid(result: Any) -> bool:
        if by_event is None or not isinstance(result, dict):
            return False
        events = result.get("events", [])
        responses = result.get("responses", [])
        if not isinstance(events, list) or not isinstance(responses, list):
            return False
        for event in events:
            kind = event.get("event") if isinstance(event, dict) else None
            check = by_event.get(kind) if isinstance(kind, str) else None
            if check is None or not check.is_valid(event):
                return False
        return all(isinstance(response, dict) for response in responses)

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if plainly_valid(result):
            return True
        error: ValidationError | None = best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                ". Failed to validate Action server response from API, "
                "make sure your response from the Action endpoint is valid. "
                "For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = validate_action_result


def install_turn_speedups(environ: Mapping[str, str]) -> None:
    """Cheaper turns, same answers (what ``rasa run`` gets through this launcher).

    The compiled action-reply validator (above) and the levers of
    ``bot.rasa_server.turn_speedups`` (``TURN_SPEEDUPS=0`` leaves those out).

    Args:
        environ: The environment (``TURN_SPEEDUPS``).
    """
    install_compiled_action_validator()
    install_levers(environ)


def skip_unused_imports(modules: dict[str, Any] = sys.modules) -> None:
    """Make importing ``UNUSED_IMPORTS`` fail fast (ImportError), if not imported yet.

    Args:
        modules: ``sys.modules`` (another dictionary in tests).
    """
    for name in UNUSED_IMPORTS:
        modules.setdefault(name, None)


def install_fast_start(environ: Mapping[str, str]) -> None:
    """Start the server faster, with the same model and the same predictions.

    Packages the server never uses are not imported (``skip_unused_imports``),
    the TensorFlow models are loaded without tracing a training step or
    AutoGraph (``bot.rasa_server.fast_model_load``), the spaCy pipeline is
    loaded once instead of once per graph node (``bot.rasa_server.shared_spacy``),
    the model's domain is parsed once, not validated again
    (``bot.rasa_server.domain_load``), TensorFlow's graph optimizer is left out
    (``bot.rasa_server.graph_optimizer``; ``TF_GRAPH_OPTIMIZER=on`` keeps it)
    and the model archive is unpacked once per archive, into ``MODEL_CACHE_DIR``
    (``var/model-cache`` by default; ``off`` unpacks on every start as Rasa
    does; ``bot.rasa_server.model_unpack_cache``). Only for ``run``: training
    and fine-tuning keep Rasa's own loading.

    Args:
        environ: The environment (``MODEL_CACHE_DIR``, ``TF_GRAPH_OPTIMIZER``).
    """
    skip_unused_imports()
    install_fast_model_load()
    install_shared_spacy_model()
    install_single_read_domain_load()
    serve_without_graph_optimizer(environ)
    cache_dir = cache_dir_from_env(environ)
    if cache_dir is not None:
        install_model_cache(cache_dir)


def main() -> None:
    """Run Rasa's command line with the fixes and the log masking installed.

    The fixes: the compiled action-reply validator (above), for ``rasa train``
    featurized training data fingerprinted by its cache key
    (``bot.rasa_server.training_fingerprints``), sparse features combined
    without ``scipy.sparse.hstack``'s overhead (``bot.rasa_server.sparse_concat``,
    also a turn lever) and TensorFlow checkpoints saved without Adam's state
    (``bot.rasa_server.slim_checkpoints``), for ``rasa run`` the
    turn levers (``install_turn_speedups``), the NLU graph run off the event
    loop (``bot.rasa_server.nlu_offload``; ``NLU_OFFLOAD=0``
    leaves it on the loop, to compare), and Rasa's default in-memory lock store
    waking a waiting message when the turn before it ends
    (``bot.rasa_server.lock_waits``).

    The masking (``bot.platform.logs``) keeps personal data out of the Rasa
    server's logs: at DEBUG (``LOG_LEVEL=DEBUG``) Rasa logs every message,
    entity and slot value. Sanic's forked workers inherit it.
    """
    serving = sys.argv[1:2] == ["run"] and sys.argv[2:3] != ["actions"]
    training = sys.argv[1:2] == ["train"]
    if serving or training:
        skip_unused_imports()  # before Rasa imports TensorFlow
    from rasa.__main__ import main as rasa_main

    install_log_masking()
    if training:
        install_keyed_fingerprints()
        install_fast_sparse_concat()  # for rasa run: a turn lever
        install_slim_checkpoints()
    if serving:
        install_turn_speedups(os.environ)
    else:
        install_compiled_action_validator()
    # Rasa listens with a backlog of 100: a burst of WeChat pushes beyond that
    # waits for TCP's 1 s SYN retry before the server even sees it.
    os.environ.setdefault("SANIC_BACKLOG", str(DEFAULT_BACKLOG))
    if os.environ.get("NLU_OFFLOAD", "1") != "0":
        install_nlu_offload()
    # Imported here: it imports Rasa's lock store (after skip_unused_imports).
    from bot.rasa_server.lock_waits import install_prompt_lock_waits

    install_prompt_lock_waits()
    if serving:
        install_fast_start(os.environ)
        # SANIC_WORKERS > 1: each worker its own socket, so the kernel spreads
        # the connections instead of the first awake worker taking them.
        install_worker_sockets()
    rasa_main()
