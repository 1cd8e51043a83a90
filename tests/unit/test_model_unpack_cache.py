"""The Rasa server unpacks a model archive once and reuses the unpacked copy."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import time
from pathlib import Path
from typing import Any

import pytest

from bot.rasa_server import model_unpack_cache
from bot.rasa_server.model_unpack_cache import (
    ABANDONED_AFTER_SECONDS,
    KEEP_ENTRIES,
    MANIFEST,
    archive_digest,
    cache_dir_from_env,
    install_model_cache,
    unpacked_model,
)


def make_archive(path: Path, weights: bytes = b"weights-1") -> Path:
    """A model archive shaped as Rasa 3.6 writes it (no training needed)."""
    files = {
        "metadata.json": json.dumps({"model_id": path.stem}).encode(),
        "components/train_DIETClassifier7/DIETClassifier.tf_model.data": weights,
        "components/train_DIETClassifier7/DIETClassifier.tf_model.index": b"index",
        "components/domain_provider/domain.yml": b"version: '3.1'\n",
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


class Storage:
    """Stands in for Rasa's ``LocalModelStorage``."""

    def __init__(self, storage_path: Path) -> None:
        self.storage_path = storage_path

    @classmethod
    def from_model_archive(
        cls, storage_path: Path, model_archive_path: Path
    ) -> tuple[Storage, Any]:
        return cls(storage_path), "Rasa's own unpacking"

    @staticmethod
    def _load_metadata(directory: Path) -> dict[str, Any]:
        return json.loads((directory / "metadata.json").read_text())


@pytest.fixture
def unpack_calls(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real_unpack = model_unpack_cache._unpack

    def counting_unpack(archive: Path, destination: Path) -> None:
        calls.append(archive)
        real_unpack(archive, destination)

    monkeypatch.setattr(model_unpack_cache, "_unpack", counting_unpack)
    return calls


def load(archive: Path, cache: Path, storage_path: Path) -> tuple[Storage, Any]:
    """One server start: Rasa's storage class with the cache installed."""

    class Started(Storage):
        pass

    install_model_cache(cache, storage_class=Started)
    storage_path.mkdir()
    return Started.from_model_archive(storage_path, archive)


def test_first_start_unpacks_and_fills_the_storage(tmp_path, unpack_calls):
    archive = make_archive(tmp_path / "xiaoke-a.tar.gz")
    storage, metadata = load(archive, tmp_path / "cache", tmp_path / "storage")
    assert unpack_calls == [archive]
    assert metadata == {"model_id": "xiaoke-a.tar"}
    assert storage.storage_path == tmp_path / "storage"
    diet = tmp_path / "storage" / "train_DIETClassifier7"
    assert sorted(path.name for path in (tmp_path / "storage").iterdir()) == [
        "domain_provider",
        "train_DIETClassifier7",
    ]
    assert (diet / "DIETClassifier.tf_model.data").read_bytes() == b"weights-1"


def test_second_start_reuses_the_unpacked_model(tmp_path, unpack_calls):
    archive = make_archive(tmp_path / "xiaoke-a.tar.gz")
    load(archive, tmp_path / "cache", tmp_path / "first")
    # Rasa deletes its storage once the graph is loaded: only the links go.
    shutil.rmtree(tmp_path / "first")
    _, metadata = load(archive, tmp_path / "cache", tmp_path / "second")
    assert unpack_calls == [archive]
    assert metadata == {"model_id": "xiaoke-a.tar"}
    data = tmp_path / "second/train_DIETClassifier7/DIETClassifier.tf_model.data"
    assert data.read_bytes() == b"weights-1"


def test_a_changed_archive_is_unpacked_again(tmp_path, unpack_calls):
    archive = make_archive(tmp_path / "xiaoke-a.tar.gz")
    load(archive, tmp_path / "cache", tmp_path / "first")
    make_archive(archive, weights=b"weights-2")  # retrained, same file name
    load(archive, tmp_path / "cache", tmp_path / "second")
    assert unpack_calls == [archive, archive]
    data = tmp_path / "second/train_DIETClassifier7/DIETClassifier.tf_model.data"
    assert data.read_bytes() == b"weights-2"


@pytest.mark.parametrize("damage", ["no manifest", "truncated file", "missing file"])
def test_a_half_written_or_damaged_entry_is_not_used(tmp_path, unpack_calls, damage):
    archive = make_archive(tmp_path / "xiaoke-a.tar.gz")
    entry = unpacked_model(archive, tmp_path / "cache")
    data = entry / "components/train_DIETClassifier7/DIETClassifier.tf_model.data"
    if damage == "no manifest":
        (entry / MANIFEST).unlink()
    elif damage == "truncated file":
        data.write_bytes(b"weig")
    else:
        data.unlink()
    assert unpacked_model(archive, tmp_path / "cache") == entry
    assert unpack_calls == [archive, archive]
    assert data.read_bytes() == b"weights-1"


def test_an_interrupted_unpacking_leaves_no_entry(tmp_path, monkeypatch):
    archive = make_archive(tmp_path / "xiaoke-a.tar.gz")

    def killed(archive: Path, destination: Path) -> None:
        (destination / "metadata.json").write_text("{")
        raise KeyboardInterrupt

    monkeypatch.setattr(model_unpack_cache, "_unpack", killed)
    with pytest.raises(KeyboardInterrupt):
        unpacked_model(archive, tmp_path / "cache")
    assert list((tmp_path / "cache").iterdir()) == []


def test_an_entry_another_server_finished_meanwhile_is_used(tmp_path, monkeypatch):
    archive = make_archive(tmp_path / "xiaoke-a.tar.gz")
    cache = tmp_path / "cache"
    real_unpack = model_unpack_cache._unpack

    def racing_unpack(archive: Path, destination: Path) -> None:
        real_unpack(archive, cache / archive_digest(archive))  # the other server
        real_unpack(archive, destination)

    monkeypatch.setattr(model_unpack_cache, "_unpack", racing_unpack)
    entry = unpacked_model(archive, cache)
    assert entry == cache / archive_digest(archive)
    assert [path.name for path in cache.iterdir()] == [entry.name]


def test_only_the_most_recent_entries_are_kept(tmp_path):
    cache = tmp_path / "cache"
    entries = []
    for number in range(KEEP_ENTRIES + 2):
        archive = make_archive(tmp_path / f"m{number}.tar.gz", f"w{number}".encode())
        entries.append(unpacked_model(archive, cache))
        past = time.time() - 100 + number
        os.utime(entries[-1], (past, past))
    abandoned = cache / ".unpacking-old"
    abandoned.mkdir()
    past = time.time() - ABANDONED_AFTER_SECONDS - 1
    os.utime(abandoned, (past, past))
    in_progress = cache / ".unpacking-now"
    in_progress.mkdir()
    newest = make_archive(tmp_path / "new.tar.gz", b"new")
    kept = unpacked_model(newest, cache)
    assert sorted(cache.iterdir()) == sorted(
        [kept, in_progress, *entries[-(KEEP_ENTRIES - 1) :]]
    )


def test_without_a_writable_cache_rasa_unpacks(tmp_path, unpack_calls):
    archive = make_archive(tmp_path / "xiaoke-a.tar.gz")
    not_a_directory = tmp_path / "cache"
    not_a_directory.write_text("")
    storage, metadata = load(archive, not_a_directory, tmp_path / "storage")
    assert metadata == "Rasa's own unpacking"
    assert storage.storage_path == tmp_path / "storage"
    assert unpack_calls == []


def test_the_cache_directory_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cache_dir_from_env({}) == tmp_path / "var" / "model-cache"
    assert cache_dir_from_env({"MODEL_CACHE_DIR": "/srv/cache"}) == Path("/srv/cache")
    assert cache_dir_from_env({"MODEL_CACHE_DIR": "off"}) is None


def test_rasa_storage_is_what_the_cache_replaces():
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    # The names the cache relies on (Rasa 3.6).
    assert callable(LocalModelStorage._load_metadata)
    assert callable(LocalModelStorage._extract_archive_to_directory)
