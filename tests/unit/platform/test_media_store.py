"""The media store: images recognised by content, size-limited, kept by content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from bot.platform.media_store import (
    NOT_AN_IMAGE,
    TOO_LARGE,
    LocalMediaStore,
    MediaRef,
    MediaRejected,
    UnknownMedia,
    is_media_ref,
    media_store_from_env,
    sniff_image_type,
)
from bot.platform.settings import SettingError

MEDIA = Path(__file__).resolve().parents[2] / "fixtures" / "media"
JPEG = (MEDIA / "broken_earbuds.jpg").read_bytes()
PNG = (MEDIA / "red_dot.png").read_bytes()
PDF_NAMED_JPG = (MEDIA / "invoice_named_as.jpg").read_bytes()


def kept(root: Path) -> list[str]:
    """The names of the files under ``root``."""
    return [path.name for path in root.rglob("*") if path.is_file()]


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (b"GIF89a\x01\x00\x01\x00", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (PDF_NAMED_JPG, None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),  # a RIFF that is sound
        (b"", None),
    ],
)
def test_type_is_read_from_the_first_bytes(data: bytes, kind: str | None) -> None:
    assert sniff_image_type(data) == kind


async def test_saved_picture_opens_by_its_reference(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    ref = await store.save(JPEG, "image/png")  # the declared type counts for nothing
    digest = hashlib.sha256(JPEG).hexdigest()
    assert ref == MediaRef(f"{digest}.jpg", "image/jpeg", len(JPEG))
    assert str(ref) == f"media:{digest}.jpg"
    assert await store.open(str(ref)) == JPEG
    assert (tmp_path / digest[:2] / f"{digest}.jpg").read_bytes() == JPEG


async def test_the_same_picture_twice_is_kept_once(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    first = await store.save(PNG)
    second = await store.save(PNG)
    assert first == second
    assert kept(tmp_path) == [first.key]


async def test_a_pdf_named_like_a_picture_is_refused(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    with pytest.raises(MediaRejected) as refused:
        await store.save(PDF_NAMED_JPG, "image/jpeg")
    assert refused.value.code == NOT_AN_IMAGE
    assert "只能收下照片" in refused.value.shopper_message
    assert kept(tmp_path) == []


async def test_an_oversized_picture_is_refused_before_storing(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path, max_bytes=len(JPEG) - 1)
    with pytest.raises(MediaRejected) as refused:
        await store.save(JPEG)
    assert refused.value.code == TOO_LARGE
    assert "太大" in refused.value.shopper_message
    assert kept(tmp_path) == []


async def test_a_picture_exactly_at_the_limit_is_kept(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path, max_bytes=len(JPEG))
    assert (await store.save(JPEG)).size == len(JPEG)


@pytest.mark.parametrize(
    "text",
    [
        "media:../../etc/passwd",
        "media:" + "ab" * 32 + ".exe",
        "media:" + "AB" * 32 + ".jpg",
        "https://example.com/a.jpg",
        "",
    ],
)
async def test_only_well_formed_references_open(tmp_path: Path, text: str) -> None:
    assert not is_media_ref(text)
    with pytest.raises(UnknownMedia):
        await LocalMediaStore(tmp_path).open(text)


async def test_an_unknown_reference_does_not_open(tmp_path: Path) -> None:
    with pytest.raises(UnknownMedia):
        await LocalMediaStore(tmp_path).open("media:" + "ab" * 32 + ".png")


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    store = media_store_from_env(
        {"MEDIA_DIR": str(tmp_path), "MEDIA_MAX_BYTES": "1024"}
    )
    assert isinstance(store, LocalMediaStore)
    assert (store.root, store.max_bytes) == (tmp_path, 1024)
    default = media_store_from_env({})
    assert isinstance(default, LocalMediaStore)
    assert (str(default.root), default.max_bytes) == ("var/media", 5 * 1024 * 1024)
    with pytest.raises(SettingError):
        media_store_from_env({"MEDIA_MAX_BYTES": "5MB"})
