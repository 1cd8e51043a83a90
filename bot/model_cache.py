"""Train the Rasa model only when its inputs changed since the last training.

Usage: ``python -m bot.model_cache`` (``make model`` calls it).

The model archive is named after a hash of everything that shapes it (config,
domain, training data, the NLU code and resources, the built spaCy pipeline
and the locked dependency versions). If an archive with that name exists it is
reused (and marked newest, so ``rasa run --model models`` picks it); otherwise
Rasa trains one. Older archives beyond the last few are removed.

Rasa's own training cache (``.rasa/``) reuses a trained component when its
configuration and training data are unchanged, but it does not look at a
custom component's code: after a change to the normaliser, DIET would be
restored from the cache, trained on text the new code no longer produces.
So Rasa gets one cache per version of the code that shapes the features
(``RASA_CACHE_DIRECTORY=.rasa/cache-<hash>``); a data-only change still
reuses it.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

INPUTS = (
    "config.yml",
    "domain.yml",
    "data",
    "bot/rasa_server/nlu",
    "build/spacy_zh",
    "requirements.lock",
)
PREFIX = "xiaoke-"
KEEP = 3
# What Rasa's training cache cannot see: our components' code and resources.
CODE_INPUTS = ("bot/rasa_server/nlu", "build/spacy_zh", "requirements.lock")
CACHE_PREFIX = "cache-"
#: What ``rasa train`` validates before training (without ``--skip-validation``):
#: errors fail, warnings are printed (``make validate`` fails on those too).
VALIDATE = (sys.executable, "-m", "rasa", "data", "validate")
KEEP_CACHES = 2


def input_files(root: Path, inputs: Iterable[str] = INPUTS) -> list[Path]:
    """List the files that shape the model, in a stable order.

    Args:
        root: The project root.
        inputs: Files and directories (relative to ``root``) to include.

    Returns:
        Every file under the inputs, caches excluded, sorted by path.
    """
    files: list[Path] = []
    for name in inputs:
        path = root / name
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(
                p
                for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts
            )
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def fingerprint(root: Path, inputs: Iterable[str] = INPUTS) -> str:
    """Hash the names and contents of the model's input files.

    Args:
        root: The project root.
        inputs: Files and directories to include.

    Returns:
        The first 16 hex digits of a SHA-256 over the inputs.
    """
    digest = hashlib.sha256()
    for path in input_files(root, inputs):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def prune(models: Path, keep: int = KEEP) -> None:
    """Remove all but the ``keep`` newest model archives."""
    archives = sorted(models.glob(f"{PREFIX}*.tar.gz"), key=os.path.getmtime)
    for old in archives[:-keep]:
        old.unlink()


def training_cache(root: Path) -> Path:
    """The Rasa training-cache directory for the current version of our code.

    Args:
        root: The project root.

    Returns:
        ``.rasa/cache-<hash of CODE_INPUTS>`` under ``root``.
    """
    return root / ".rasa" / f"{CACHE_PREFIX}{fingerprint(root, CODE_INPUTS)}"


def prune_caches(current: Path, keep: int = KEEP_CACHES) -> None:
    """Remove Rasa training caches of older code, keeping the newest ``keep``.

    Args:
        current: The cache in use (never removed).
        keep: How many caches to keep, ``current`` included.
    """
    caches = sorted(
        (p for p in current.parent.glob(f"{CACHE_PREFIX}*") if p != current),
        key=os.path.getmtime,
    )
    for old in caches[: max(len(caches) - (keep - 1), 0)]:
        shutil.rmtree(old, ignore_errors=True)


def train_while_validating(
    train: Sequence[str], validate: Sequence[str], cwd: Path, env: dict[str, str]
) -> int:
    """Run the training and, beside it, the validation of its inputs.

    Args:
        train: The training command.
        validate: The validation command (exit status 0: valid).
        cwd: Where both run.
        env: Their environment.

    Returns:
        The training's exit status.

    Raises:
        SystemExit: If the validation fails; the training is stopped then.
    """
    training = subprocess.Popen(train, cwd=cwd, env=env)  # noqa: S603
    try:
        validation = subprocess.run(validate, cwd=cwd, env=env, check=False)  # noqa: S603
    except BaseException:
        training.terminate()
        training.wait()
        raise
    if validation.returncode != 0:
        training.terminate()
        training.wait()
        raise SystemExit(
            "the domain or training data is invalid (see Rasa's messages above); "
            "nothing was trained"
        )
    return training.wait()


def ensure_model(root: Path, models: Path) -> Path:
    """Return the model for the current inputs, training it if it doesn't exist.

    Args:
        root: The project root.
        models: Directory of model archives.

    Returns:
        The path of the model archive.

    Raises:
        SystemExit: If validation or training fails.
    """
    name = f"{PREFIX}{fingerprint(root)}"
    archive = models / f"{name}.tar.gz"
    if archive.exists():
        archive.touch()
        print(f"model up to date: {archive}")
        return archive
    print(f"inputs changed: training {archive} ...", flush=True)
    # Rasa's default config.yml, domain.yml and data/ (the project root).
    # Through the launcher (``bot.rasa_server``), which fingerprints featurized
    # training data cheaply; Rasa's validation of the domain and data runs
    # beside the training, on the other core, instead of before it.
    command = [
        sys.executable, "-m", "bot.rasa_server", "train", "--skip-validation",
        "--out", str(models), "--fixed-model-name", name,
    ]  # fmt: skip
    cache = training_cache(root)
    cache.mkdir(parents=True, exist_ok=True)
    prune_caches(cache)
    env = {**os.environ, "RASA_CACHE_DIRECTORY": str(cache)}
    returncode = train_while_validating(command, VALIDATE, root, env)
    if returncode != 0 or not archive.exists():
        raise SystemExit(f"training failed (exit {returncode})")
    prune(models)
    return archive


def main() -> None:
    """Parse arguments and make sure a current model exists."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=Path, default=Path("models"))
    parser.add_argument(
        "--print-fingerprint", action="store_true", help="print the hash and exit"
    )
    args = parser.parse_args()
    root = Path.cwd()
    if args.print_fingerprint:
        print(fingerprint(root))
        return
    ensure_model(root, args.models)


if __name__ == "__main__":
    main()
