"""Build the spaCy ``zh`` pipeline the NLU uses, from files in this repository.

Usage: ``python -m bot.rasa_server.nlu.build_spacy_model --out build/spacy_zh``

The pipeline is a blank Chinese ``Language`` with the jieba tokenizer of
``bot.rasa_server.nlu.spacy_tokenizer`` (loaded with
``resources/ecommerce_userdict.txt``) and an ``entity_ruler`` with the carrier and
product-category patterns of ``resources/entity_patterns.jsonl``. Nothing is
downloaded.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

RESOURCES = Path(__file__).resolve().parent / "resources"
USER_DICT = RESOURCES / "ecommerce_userdict.txt"
PATTERNS = RESOURCES / "entity_patterns.jsonl"
PIPELINE_NAME = "xiaoke_zh_ecommerce"


def read_patterns(path: Path) -> list[dict[str, Any]]:
    """Read EntityRuler patterns, one JSON object per line.

    Args:
        path: The ``.jsonl`` file.

    Returns:
        The patterns.

    Raises:
        ValueError: If a line is not a pattern with ``label`` and ``pattern``.
    """
    patterns = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        pattern = json.loads(line)
        if not {"label", "pattern"} <= pattern.keys():
            raise ValueError(f"{path}:{number}: a pattern needs 'label' and 'pattern'")
        patterns.append(pattern)
    return patterns


def build(out: Path, user_dict: Path = USER_DICT, patterns: Path = PATTERNS) -> Path:
    """Build and save the pipeline.

    Args:
        out: Directory to write the pipeline to (replaced if it exists).
        user_dict: jieba user dictionary.
        patterns: EntityRuler patterns.

    Returns:
        ``out``.
    """
    import spacy

    from bot.rasa_server.nlu.spacy_tokenizer import (
        REGISTERED_NAME,
        JiebaTokenizer,
        read_user_dict,
    )

    nlp = spacy.blank(
        "zh", config={"nlp": {"tokenizer": {"@tokenizers": REGISTERED_NAME}}}
    )
    tokenizer = nlp.tokenizer
    assert isinstance(tokenizer, JiebaTokenizer)
    tokenizer.add_words(read_user_dict(user_dict.read_text("utf-8").splitlines()))
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "ORTH"})
    ruler.add_patterns(read_patterns(patterns))  # type: ignore[attr-defined]
    nlp.meta["name"] = PIPELINE_NAME
    nlp.meta["description"] = "Chinese e-commerce tokenizer and entity rules for Xiaoke"
    if out.exists():
        shutil.rmtree(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out)
    return out


def main() -> None:
    """Parse arguments and build the pipeline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/spacy_zh"))
    args = parser.parse_args()
    path = build(args.out)
    print(f"built spaCy pipeline {PIPELINE_NAME} in {path}")


if __name__ == "__main__":
    main()
