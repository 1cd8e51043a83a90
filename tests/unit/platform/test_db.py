"""Database URLs turn into the driver each side needs; engines are shared per URL."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.platform.db import (
    async_url,
    create_async_engine,
    create_sync_engine,
    dispose_engines,
    engine_for,
    is_sqlite,
    sync_url,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+asyncpg://u:p@h:5432/db", "postgresql://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql://u@h/db"),
        ("sqlite+aiosqlite:///var/console.db", "sqlite:///var/console.db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_async_urls_read_with_the_synchronous_drivers(url: str, expected: str) -> None:
    assert sync_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://u:p@h:5432/db",
        "sqlite:///var/console.db",
        "postgresql+asyncpg://u@h/db",
        "sqlite+aiosqlite:///x.db",
    ],
)
def test_sync_and_async_forms_convert_back_and_forth(url: str) -> None:
    assert async_url(sync_url(async_url(url))) == async_url(url)
    assert sync_url(async_url(sync_url(url))) == sync_url(url)


def test_sqlite_is_told_apart_from_postgresql() -> None:
    assert is_sqlite("sqlite:///x.db")
    assert is_sqlite("sqlite+aiosqlite:///x.db")
    assert not is_sqlite("postgresql://u@h/db")


def test_both_forms_of_a_url_share_one_engine_until_disposed(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    try:
        engine = engine_for(f"sqlite:///{path}")
        assert engine_for(f"sqlite+aiosqlite:///{path}") is engine
        assert engine_for(f"sqlite:///{tmp_path / 'other.db'}") is not engine
        dispose_engines()
        assert engine_for(f"sqlite:///{path}") is not engine
    finally:
        dispose_engines()


def test_a_sync_engine_opened_with_an_async_url_writes(tmp_path: Path) -> None:
    engine = create_sync_engine(f"sqlite+aiosqlite:///{tmp_path / 'w.db'}")
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            connection.execute(sa.text("INSERT INTO t VALUES (1)"))
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT x FROM t")).scalar() == 1
    finally:
        engine.dispose()


async def test_sqlite_async_engine_creates_its_directory_and_enforces_foreign_keys(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested" / "dir" / "a.db"
    engine = create_async_engine(f"sqlite:///{path}")
    try:
        async with engine.connect() as connection:
            enabled = (
                await connection.execute(sa.text("PRAGMA foreign_keys"))
            ).scalar()
        assert enabled == 1
        assert path.parent.is_dir()
    finally:
        await engine.dispose()


async def test_sqlite_async_engine_writes_ahead_with_normal_sync(
    tmp_path: Path,
) -> None:
    path = tmp_path / "wal.db"
    engine = create_async_engine(f"sqlite:///{path}")
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text("CREATE TABLE t (x INTEGER)"))
            mode = (await connection.execute(sa.text("PRAGMA journal_mode"))).scalar()
            sync = (await connection.execute(sa.text("PRAGMA synchronous"))).scalar()
        assert mode == "wal"
        assert sync == 1  # NORMAL: a commit appends to the log without an fsync
    finally:
        await engine.dispose()
    # The mode is kept in the file: other processes (console, exports) read it so.
    plain = sa.create_engine(f"sqlite:///{path}")
    try:
        with plain.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        plain.dispose()
