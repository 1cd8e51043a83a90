"""Pictures in an S3-compatible bucket: the production :class:`MediaStore`.

Same keys as the local directory (``<first two hex digits>/<sha256>.<ext>``
under an optional prefix), so references stay valid when a deployment moves
its pictures from ``MEDIA_DIR`` to a bucket (copy the tree as it is). boto3
is blocking: every call runs in a worker thread. Credentials come from boto3's
own chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile, an
instance role), never from Xiaoke's settings.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from typing import Any

from bot.platform.media_store import (
    DEFAULT_MAX_BYTES,
    EXTENSIONS,
    MediaRef,
    UnknownMedia,
    check_image,
)

#: S3 error codes meaning "no such object".
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3MediaStore:
    """Pictures in a bucket (AWS S3, MinIO, 阿里云 OSS, 腾讯云 COS …).

    Args:
        bucket: The bucket's name.
        max_bytes: The largest picture accepted.
        prefix: A key prefix (``xiaoke/media/``), may be empty.
        endpoint_url: The service's URL for S3-compatible stores (``None``: AWS).
        region: The region, if the service needs one.
        client: A boto3 S3 client to use (tests); else one is made on first use.
    """

    def __init__(
        self,
        bucket: str,
        max_bytes: int = DEFAULT_MAX_BYTES,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        client: Any = None,
    ) -> None:
        self.bucket = bucket
        self.max_bytes = max_bytes
        self.prefix = prefix
        self._endpoint_url = endpoint_url
        self._region = region
        self._client = client
        self._lock = threading.Lock()

    def key_of(self, ref: MediaRef | str) -> str:
        """The object key of a reference."""
        key = ref.key if isinstance(ref, MediaRef) else MediaRef.parse(ref).key
        return f"{self.prefix}{key[:2]}/{key}"

    def client(self) -> Any:
        """The boto3 client (made once, in the calling worker thread)."""
        with self._lock:
            if self._client is None:
                import boto3  # only deployments using a bucket load boto3

                self._client = boto3.client(
                    "s3", endpoint_url=self._endpoint_url, region_name=self._region
                )
            return self._client

    async def save(self, data: bytes, content_type: str | None = None) -> MediaRef:
        """Check and keep a picture (the same picture twice is one object)."""
        kind = check_image(data, self.max_bytes)
        key = f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[kind]}"
        ref = MediaRef(key, kind, len(data))
        await asyncio.to_thread(self._put, self.key_of(ref), data, kind)
        return ref

    async def open(self, ref: MediaRef | str) -> bytes:
        """The picture's bytes.

        Raises:
            UnknownMedia: No such object (or not a reference).
        """
        return await asyncio.to_thread(self._get, self.key_of(ref), str(ref))

    def _put(self, key: str, data: bytes, kind: str) -> None:
        self.client().put_object(
            Bucket=self.bucket, Key=key, Body=data, ContentType=kind
        )

    def _get(self, key: str, ref: str) -> bytes:
        from botocore.exceptions import ClientError

        try:
            answer = self.client().get_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if str(error.response.get("Error", {}).get("Code")) in _MISSING:
                raise UnknownMedia(ref) from error
            raise
        body = answer["Body"]
        try:
            return bytes(body.read())
        finally:
            body.close()
