"""Unpack a model archive once, not on every start of the Rasa server.

Rasa 3.6 unpacks the whole ``models/xiaoke-*.tar.gz`` (gzip, tens of MB) into a
fresh temporary directory every time the server starts
(``LocalModelStorage.from_model_archive``), loads the graph from it and deletes
it. Here the archive is unpacked once into a cache directory named after the
archive's SHA-256 (``var/model-cache/<digest>/``); later starts with the same
archive fill Rasa's temporary model storage with symbolic links to the cached
components instead. A retrained model has another digest and is unpacked again.

An entry is unpacked into a private temporary directory beside it and renamed
into place only when complete, with a manifest of every file's size: an entry
without a manifest, or whose files no longer match it, is not used but removed
and unpacked again. Only the most recently used entries are kept. When the
cache cannot be written (a read-only or full disk), the server unpacks as Rasa
does.

Only ``run`` uses the cache (``bot.rasa_server.launcher``): training and
fine-tuning write into the model storage, which must not be the cache.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Where entries go unless ``MODEL_CACHE_DIR`` says otherwise (relative to the
#: working directory, the project root for ``make run``; ``var/`` is git-ignored).
DEFAULT_CACHE_DIR = Path("var") / "model-cache"
#: How many entries (models) stay in the cache.
KEEP_ENTRIES = 3
#: Written last into an entry: each file's path (relative) and size.
MANIFEST = "xiaoke-manifest.json"
#: Inside an archive: the graph components and the model's metadata (Rasa 3.6).
COMPONENTS_DIR = "components"
METADATA_FILE = "metadata.json"
#: An unpacking this old was abandoned (its server was killed): removed.
ABANDONED_AFTER_SECONDS = 3600
_STAGING_PREFIX = ".unpacking-"
_CHUNK = 1 << 20


def archive_digest(archive: Path) -> str:
    """The SHA-256 of a file, in hex.

    Args:
        archive: The model archive.

    Returns:
        64 hex digits.
    """
    digest = hashlib.sha256()
    with archive.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _file_sizes(directory: Path) -> dict[str, int]:
    return {
        str(path.relative_to(directory)): path.stat().st_size
        for path in sorted(directory.rglob("*"))
        if path.is_file() and path.name != MANIFEST
    }


def is_complete(entry: Path) -> bool:
    """Whether a cache entry holds every file its manifest lists, at its size.

    Args:
        entry: A cache entry directory.

    Returns:
        False for a missing, half-written or damaged entry.
    """
    try:
        manifest = json.loads((entry / MANIFEST).read_text(encoding="utf-8"))
        return bool(manifest) and _file_sizes(entry) == manifest
    except (OSError, ValueError):
        return False


def _unpack(archive: Path, destination: Path) -> None:
    # Rasa's own extraction (TarSafe refuses paths leaving the directory, and
    # Rasa 2 archives are refused as Rasa refuses them).
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    LocalModelStorage._extract_archive_to_directory(archive, destination)
    if not (destination / METADATA_FILE).is_file():
        raise ValueError(f"{archive} holds no {METADATA_FILE}: not a Rasa 3 model")
    manifest = json.dumps(_file_sizes(destination))
    (destination / MANIFEST).write_text(manifest, encoding="utf-8")


def unpacked_model(archive: Path, cache_dir: Path) -> Path:
    """The directory holding ``archive`` unpacked, unpacking it if need be.

    Args:
        archive: The model archive (``.tar.gz``).
        cache_dir: The cache's root directory (created when missing).

    Returns:
        The complete entry for the archive's contents: ``components/`` and
        ``metadata.json`` as in the archive.
    """
    entry = cache_dir / archive_digest(archive)
    if entry.is_dir():
        if is_complete(entry):
            logger.info("Model %s: unpacked copy reused from %s", archive.name, entry)
            os.utime(entry)
            return entry
        logger.warning("Model cache entry %s is incomplete: unpacking again", entry)
        shutil.rmtree(entry, ignore_errors=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=cache_dir))
    try:
        _unpack(archive, staging)
        try:
            staging.rename(entry)
        except OSError:
            # Another server unpacked the same archive meanwhile.
            if not is_complete(entry):
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    logger.info("Model %s unpacked into %s", archive.name, entry)
    _prune(cache_dir, keep=entry)
    return entry


def _prune(cache_dir: Path, keep: Path) -> None:
    """Remove all but the most recently used entries, and abandoned unpackings."""
    entries: list[Path] = []
    staging: list[Path] = []
    for path in cache_dir.iterdir():
        if path.is_dir() and path != keep:
            is_staging = path.name.startswith(_STAGING_PREFIX)
            (staging if is_staging else entries).append(path)
    entries.sort(key=lambda path: path.stat().st_mtime, reverse=True)
    stale_before = time.time() - ABANDONED_AFTER_SECONDS
    abandoned = [path for path in staging if path.stat().st_mtime < stale_before]
    for path in entries[KEEP_ENTRIES - 1 :] + abandoned:
        shutil.rmtree(path, ignore_errors=True)


def link_components(entry: Path, storage_path: Path) -> None:
    """Fill an empty model storage with links to a cache entry's components.

    Args:
        entry: A complete cache entry.
        storage_path: Rasa's model storage directory (must be empty). Deleting
            it later (Rasa does, once the graph is loaded) removes the links,
            never the cached files.

    Raises:
        ValueError: ``storage_path`` is not empty (as Rasa's own check).
    """
    if next(storage_path.glob("*"), None):
        raise ValueError(
            f"The model storage with path '{storage_path}' is not empty. You can "
            "only unpack model archives into an empty model storage."
        )
    for component in (entry / COMPONENTS_DIR).iterdir():
        (storage_path / component.name).symlink_to(component.resolve())


def cache_dir_from_env(environ: Mapping[str, str]) -> Path | None:
    """The cache directory ``MODEL_CACHE_DIR`` names; None when it is ``off``.

    Args:
        environ: The environment.

    Returns:
        ``var/model-cache`` by default (resolved against the working directory).
    """
    configured = environ.get("MODEL_CACHE_DIR", "")
    if configured.lower() == "off":
        return None
    return Path(configured or DEFAULT_CACHE_DIR).resolve()


def install_model_cache(cache_dir: Path, storage_class: Any = None) -> None:
    """Make ``LocalModelStorage.from_model_archive`` load from the cache.

    Args:
        cache_dir: The cache's root directory.
        storage_class: The class to change; Rasa's ``LocalModelStorage`` by
            default (a stand-in in tests).
    """
    if storage_class is None:
        from rasa.engine.storage.local_model_storage import LocalModelStorage

        storage_class = LocalModelStorage

    rasa_from_model_archive = storage_class.from_model_archive.__func__

    def from_model_archive(
        cls: Any, storage_path: Path, model_archive_path: str | Path
    ) -> tuple[Any, Any]:
        try:
            entry = unpacked_model(Path(model_archive_path), cache_dir)
        except OSError as error:  # e.g. a read-only or full disk
            logger.warning(
                "Model cache %s not usable (%s): unpacking as Rasa does",
                cache_dir,
                error,
            )
            return rasa_from_model_archive(cls, storage_path, model_archive_path)
        link_components(entry, storage_path)
        # Rasa's own reading of metadata.json into its ModelMetadata.
        return cls(storage_path), cls._load_metadata(entry)

    storage_class.from_model_archive = classmethod(from_model_archive)
