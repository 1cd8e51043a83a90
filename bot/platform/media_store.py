"""Where shoppers' pictures are kept: check an image by its content, store it, open it.

Channels save what a shopper sent through one small interface,
:class:`MediaStore`, and pass the returned :class:`MediaRef` on (to Rasa, to
the order service as return evidence); whoever needs the picture opens it by
that reference. :class:`LocalMediaStore`, a directory (``MEDIA_DIR``), is the
default. An S3-compatible bucket (``MEDIA_STORE=s3``,
:class:`bot.platform.media_s3.S3MediaStore`) is the production option: the
same two methods and the same keys, so references stay valid when the store
changes (docs/wechat.md, "Pictures").

Only images are kept: JPEG, PNG, GIF and WebP, recognised by their first
bytes whatever the sender says they are, up to ``MEDIA_MAX_BYTES``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from bot.platform.settings import SettingError, positive_int

DEFAULT_MEDIA_DIR = "var/media"
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: ``media:<sha256 of the content>.<extension>``; the key is the part after ``media:``.
REF_PATTERN = re.compile(r"media:(?P<key>[0-9a-f]{64}\.(?:jpg|png|gif|webp))")
EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
}
CONTENT_TYPES = {extension: kind for kind, extension in EXTENSIONS.items()}

#: The intent and entity a channel puts a stored picture to the bot as:
#: ``/send_image{"image_ref": "media:…"}`` (domain.yml).
IMAGE_INTENT = "send_image"
IMAGE_ENTITY = "image_ref"

NOT_AN_IMAGE = "not_an_image"
TOO_LARGE = "too_large"
#: What the shopper reads when a picture is refused.
REFUSALS = {
    NOT_AN_IMAGE: "抱歉亲，小客只能收下照片（JPG、PNG、GIF、WebP 格式），"
    "这个文件没能收下，换一张照片再发一次吧～",
    TOO_LARGE: "抱歉亲，这张图片太大了（超过 {limit_mb} MB），小客收不下，"
    "截个图或压缩一下再发一次吧～",
}


class MediaRejected(ValueError):
    """What was sent is not an image this store keeps.

    Attributes:
        code: ``not_an_image`` or ``too_large``.
        shopper_message: The refusal in Chinese, for the shopper.
    """

    def __init__(self, code: str, shopper_message: str) -> None:
        super().__init__(code)
        self.code = code
        self.shopper_message = shopper_message


class UnknownMedia(KeyError):
    """No stored picture has this reference."""


@dataclass(frozen=True)
class MediaRef:
    """A stored picture.

    Attributes:
        key: ``<sha256>.<extension>``: the same picture always has the same key.
        content_type: Its type, from its content.
        size: Its size in bytes.
    """

    key: str
    content_type: str
    size: int

    def __str__(self) -> str:
        """The reference as conversations and the order service carry it."""
        return f"media:{self.key}"

    @classmethod
    def parse(cls, text: str) -> MediaRef:
        """Read a reference (``media:<sha256>.<ext>``); the size is unknown (0).

        Raises:
            UnknownMedia: ``text`` is not a media reference.
        """
        match = REF_PATTERN.fullmatch(text.strip())
        if match is None:
            raise UnknownMedia(text)
        key = match["key"]
        return cls(key, CONTENT_TYPES[key.rsplit(".", 1)[1]], 0)


def is_media_ref(text: object) -> bool:
    """Whether ``text`` is a media reference (the format only, not the file)."""
    return isinstance(text, str) and REF_PATTERN.fullmatch(text) is not None


def image_message(ref: MediaRef | str) -> str:
    """The bot message for a stored picture (every channel sends it the same)."""
    entities = json.dumps({IMAGE_ENTITY: str(ref)}, ensure_ascii=False)
    return f"/{IMAGE_INTENT}{entities}"


def sniff_image_type(data: bytes) -> str | None:
    """The image type of ``data`` by its signature; ``None`` for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def too_large(max_bytes: int) -> MediaRejected:
    """The refusal of a picture over ``max_bytes``."""
    limit_mb = f"{max_bytes / 1024 / 1024:g}"
    return MediaRejected(TOO_LARGE, REFUSALS[TOO_LARGE].format(limit_mb=limit_mb))


def check_image(data: bytes, max_bytes: int) -> str:
    """Check a picture before it is kept.

    Args:
        data: The bytes received (a sender's own type or file name counts for
            nothing).
        max_bytes: The largest picture accepted.

    Returns:
        Its content type, read from its first bytes.

    Raises:
        MediaRejected: Too large, empty, or not a JPEG/PNG/GIF/WebP image.
    """
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    kind = sniff_image_type(data)
    if kind is None:
        raise MediaRejected(NOT_AN_IMAGE, REFUSALS[NOT_AN_IMAGE])
    return kind


class MediaStore(Protocol):
    """Keeps pictures and gives them back by reference."""

    max_bytes: int

    async def save(self, data: bytes, content_type: str | None = None) -> MediaRef:
        """Check and keep a picture.

        Args:
            data: The picture.
            content_type: What the sender called it (logged at most; the
                content decides).

        Raises:
            MediaRejected: Not an image this store keeps.
        """
        ...

    async def open(self, ref: MediaRef | str) -> bytes:
        """The picture's bytes.

        Raises:
            UnknownMedia: Nothing stored under that reference.
        """
        ...


class LocalMediaStore:
    """Pictures in a directory, ``<root>/<first two hex digits>/<key>``.

    Args:
        root: The directory (created on first save).
        max_bytes: The largest picture accepted.
    """

    def __init__(self, root: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes

    def path_of(self, ref: MediaRef | str) -> Path:
        """Where a reference's picture lives (whether or not it exists)."""
        key = ref.key if isinstance(ref, MediaRef) else MediaRef.parse(ref).key
        return self.root / key[:2] / key

    async def save(self, data: bytes, content_type: str | None = None) -> MediaRef:
        """Check and keep a picture; the same picture twice is kept once."""
        kind = check_image(data, self.max_bytes)
        key = f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[kind]}"
        ref = MediaRef(key, kind, len(data))
        await asyncio.to_thread(self._write, self.path_of(ref), data)
        return ref

    async def open(self, ref: MediaRef | str) -> bytes:
        """The picture's bytes."""
        path = self.path_of(ref)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError as error:
            raise UnknownMedia(str(ref)) from error

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees half a picture.
        partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
        partial.write_bytes(data)
        partial.replace(path)


def media_store_from_env(environ: Mapping[str, str]) -> MediaStore:
    """The store the environment describes.

    ``MEDIA_STORE`` is ``local`` (the default: ``MEDIA_DIR``) or ``s3``
    (``MEDIA_S3_BUCKET``, and optionally ``MEDIA_S3_ENDPOINT_URL``,
    ``MEDIA_S3_REGION``, ``MEDIA_S3_PREFIX``; credentials from boto3's own
    chain, e.g. ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``).
    ``MEDIA_MAX_BYTES`` bounds both. Nothing is opened or contacted here.

    Raises:
        bot.platform.settings.SettingError: ``MEDIA_MAX_BYTES`` is not a
            positive whole number, ``MEDIA_STORE`` is unknown, or ``s3``
            lacks its bucket.
    """
    max_bytes = positive_int(environ, "MEDIA_MAX_BYTES", DEFAULT_MAX_BYTES)
    kind = environ.get("MEDIA_STORE", "").strip().lower() or "local"
    if kind == "s3":
        from bot.platform.media_s3 import S3MediaStore

        bucket = environ.get("MEDIA_S3_BUCKET", "").strip()
        if not bucket:
            raise SettingError(
                "MEDIA_S3_BUCKET", "", "a bucket name when MEDIA_STORE=s3"
            )
        return S3MediaStore(
            bucket,
            max_bytes,
            prefix=environ.get("MEDIA_S3_PREFIX", "").strip(),
            endpoint_url=environ.get("MEDIA_S3_ENDPOINT_URL", "").strip() or None,
            region=environ.get("MEDIA_S3_REGION", "").strip() or None,
        )
    if kind != "local":
        raise SettingError("MEDIA_STORE", kind, "local or s3")
    root = environ.get("MEDIA_DIR", "").strip() or DEFAULT_MEDIA_DIR
    return LocalMediaStore(root, max_bytes)
