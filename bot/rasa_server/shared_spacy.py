"""Load the spaCy pipeline once per server, not once per graph node.

Rasa 3.6's prediction graph holds two ``SpacyNLP`` nodes (``provide_SpacyNLP1``,
which hands the loaded pipeline to the components, and ``run_SpacyNLP1``, which
makes the documents with the pipeline handed to it); each node loads
``build/spacy_zh`` on its own (``SpacyNLP.create``), and each load starts
another jieba segmenter and tokenises the EntityRuler's patterns again. The
second node never uses its own copy. Here a load with the same model name
returns the pipeline already loaded, as long as the pipeline's files are
unchanged (a model reloaded after ``make nlu-build`` gets the new pipeline).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Set on ``SpacyNLP`` once the replacement is installed.
_MARK = "_xiaoke_shared_model"


def pipeline_signature(model_name: str) -> tuple[tuple[str, int, int], ...]:
    """Each file of a pipeline directory with its size and modification time.

    Args:
        model_name: ``SpacyNLP``'s ``model``: a directory, or a package name
            (then the signature is empty: installed packages do not change
            while the server runs).

    Returns:
        ``(relative path, size, mtime in ns)`` for every file, sorted.
    """
    directory = Path(model_name)
    if not directory.is_dir():
        return ()
    signature = []
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            stat = path.stat()
            signature.append(
                (str(path.relative_to(directory)), stat.st_size, stat.st_mtime_ns)
            )
    return tuple(signature)


def install_shared_spacy_model(nlp_class: Any = None) -> None:
    """Make ``SpacyNLP.load_model`` return the pipeline already loaded.

    Args:
        nlp_class: The class to change; Rasa's ``SpacyNLP`` by default (a
            stand-in in tests).
    """
    if nlp_class is None:
        from rasa.nlu.utils.spacy_utils import SpacyNLP

        nlp_class = SpacyNLP
    if getattr(nlp_class, _MARK, False):
        return
    original_load_model = nlp_class.load_model
    loaded: dict[str, tuple[tuple[tuple[str, int, int], ...], Any]] = {}

    def load_model(spacy_model_name: str) -> Any:
        signature = pipeline_signature(spacy_model_name) if spacy_model_name else ()
        known = loaded.get(spacy_model_name)
        if known is not None and known[0] == signature:
            logger.debug("spaCy pipeline %s already loaded", spacy_model_name)
            return known[1]
        model = original_load_model(spacy_model_name)
        loaded.clear()  # only the latest pipeline is kept alive
        loaded[spacy_model_name] = (signature, model)
        return model

    nlp_class.load_model = staticmethod(load_model)
    setattr(nlp_class, _MARK, True)
