"""Training happens only when the model's inputs change."""

import os
import sys
import time

import pytest

from bot.model_cache import (
    fingerprint,
    input_files,
    prune,
    prune_caches,
    training_cache,
)


def make_project(root):
    (root / "data" / "nlu").mkdir(parents=True)
    (root / "config.yml").write_text("pipeline: []\n")
    (root / "data" / "nlu" / "a.yml").write_text("nlu: []\n")
    (root / "data" / "__pycache__").mkdir()
    (root / "data" / "__pycache__" / "x.pyc").write_bytes(b"\0")


def test_fingerprint_is_stable_for_unchanged_inputs(tmp_path):
    make_project(tmp_path)
    assert fingerprint(tmp_path) == fingerprint(tmp_path)


def test_fingerprint_changes_when_training_data_changes(tmp_path):
    make_project(tmp_path)
    before = fingerprint(tmp_path)
    (tmp_path / "data" / "nlu" / "a.yml").write_text("nlu: [x]\n")
    assert fingerprint(tmp_path) != before


def test_fingerprint_changes_when_a_file_is_added(tmp_path):
    make_project(tmp_path)
    before = fingerprint(tmp_path)
    (tmp_path / "data" / "nlu" / "b.yml").write_text("nlu: []\n")
    assert fingerprint(tmp_path) != before


def test_fingerprint_ignores_caches_and_unrelated_files(tmp_path):
    make_project(tmp_path)
    before = fingerprint(tmp_path)
    (tmp_path / "README.md").write_text("docs")
    (tmp_path / "data" / "__pycache__" / "y.pyc").write_bytes(b"1")
    assert fingerprint(tmp_path) == before
    assert all("__pycache__" not in p.parts for p in input_files(tmp_path))


def test_prune_keeps_the_newest_archives(tmp_path):
    now = time.time()
    for age in range(5):
        archive = tmp_path / f"xiaoke-{age}.tar.gz"
        archive.write_bytes(b"")
        os.utime(archive, (now - age * 60, now - age * 60))
    prune(tmp_path, keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "xiaoke-0.tar.gz",
        "xiaoke-1.tar.gz",
    ]


def test_rasa_gets_a_new_training_cache_when_our_nlu_code_changes(tmp_path):
    make_project(tmp_path)
    code = tmp_path / "bot" / "rasa_server" / "nlu"
    code.mkdir(parents=True)
    (code / "normalizer.py").write_text("X = 1\n")
    before = training_cache(tmp_path)

    (tmp_path / "data" / "nlu" / "a.yml").write_text("nlu: [x]\n")
    assert training_cache(tmp_path) == before  # data: Rasa's cache sees it

    (code / "normalizer.py").write_text("X = 2\n")
    assert training_cache(tmp_path) != before
    assert training_cache(tmp_path).parent == tmp_path / ".rasa"


def test_prune_caches_keeps_the_current_and_the_newest_other(tmp_path):
    now = time.time()
    caches = []
    for age in range(4):
        cache = tmp_path / f"cache-{age}"
        cache.mkdir()
        (cache / "cache.db").write_bytes(b"")
        os.utime(cache, (now - age * 60, now - age * 60))
        caches.append(cache)
    current = caches[3]  # the oldest directory, but the one in use

    prune_caches(current, keep=2)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache-0", "cache-3"]


def test_training_runs_beside_its_validation(tmp_path):
    from bot.model_cache import train_while_validating

    marker = tmp_path / "trained"
    train = [sys.executable, "-c", f"open({str(marker)!r}, 'w').write('x')"]
    validate = [sys.executable, "-c", "pass"]
    assert train_while_validating(train, validate, tmp_path, dict(os.environ)) == 0
    assert marker.exists()


def test_invalid_data_stops_the_training(tmp_path):
    from bot.model_cache import train_while_validating

    marker = tmp_path / "trained"
    train = [
        sys.executable,
        "-c",
        f"import time; time.sleep(20); open({str(marker)!r}, 'w').write('x')",
    ]
    validate = [sys.executable, "-c", "raise SystemExit(1)"]
    with pytest.raises(SystemExit, match="invalid"):
        train_while_validating(train, validate, tmp_path, dict(os.environ))
    # Stopped, not waited for: it would have written the marker.
    assert not marker.exists()
