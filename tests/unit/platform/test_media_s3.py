"""The S3 store against botocore's Stubber: the calls a real bucket would get.

The Stubber checks each call's operation and parameters against the S3
service model and what the test expects, and answers as S3 would; no network.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from bot.platform.media_s3 import S3MediaStore
from bot.platform.media_store import (
    MediaRejected,
    UnknownMedia,
    media_store_from_env,
)
from bot.platform.settings import SettingError

JPEG = (
    Path(__file__).resolve().parents[2] / "fixtures" / "media" / "broken_earbuds.jpg"
).read_bytes()
KEY = f"{hashlib.sha256(JPEG).hexdigest()}.jpg"


@pytest.fixture
def s3():
    client = boto3.client(
        "s3",
        region_name="cn-north-1",
        endpoint_url="http://minio.example:9000",
        aws_access_key_id="test-access-key",
        aws_secret_access_key="test-secret-key",
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


async def test_a_picture_is_put_under_its_content_key_and_read_back(s3) -> None:
    client, stubber = s3
    store = S3MediaStore("shop-media", 10_000, prefix="xiaoke/", client=client)
    object_key = f"xiaoke/{KEY[:2]}/{KEY}"
    stubber.add_response(
        "put_object",
        {"ETag": '"etag"'},
        {
            "Bucket": "shop-media",
            "Key": object_key,
            "Body": JPEG,
            "ContentType": "image/jpeg",
        },
    )
    ref = await store.save(JPEG, "application/octet-stream")
    assert str(ref) == f"media:{KEY}"
    stubber.add_response(
        "get_object",
        {"Body": StreamingBody(io.BytesIO(JPEG), len(JPEG))},
        {"Bucket": "shop-media", "Key": object_key},
    )
    assert await store.open(str(ref)) == JPEG


async def test_a_missing_object_is_unknown_media(s3) -> None:
    client, stubber = s3
    store = S3MediaStore("shop-media", client=client)
    stubber.add_client_error(
        "get_object", service_error_code="NoSuchKey", http_status_code=404
    )
    with pytest.raises(UnknownMedia):
        await store.open(f"media:{KEY}")


async def test_a_refused_file_never_reaches_the_bucket(s3) -> None:
    client, _ = s3  # no response queued: any call would fail the test
    store = S3MediaStore("shop-media", 100, client=client)
    with pytest.raises(MediaRejected):
        await store.save(b"%PDF-1.7 named photo.jpg")
    with pytest.raises(MediaRejected):
        await store.save(JPEG[:4] + bytes(200))
    with pytest.raises(UnknownMedia):
        await store.open("media:../../etc/passwd")


def test_the_environment_selects_the_bucket() -> None:
    store = media_store_from_env(
        {
            "MEDIA_STORE": "s3",
            "MEDIA_S3_BUCKET": "shop-media",
            "MEDIA_S3_ENDPOINT_URL": "https://cos.ap-shanghai.myqcloud.com",
            "MEDIA_S3_PREFIX": "media/",
            "MEDIA_MAX_BYTES": "1000",
        }
    )
    assert isinstance(store, S3MediaStore)
    assert (store.bucket, store.max_bytes) == ("shop-media", 1000)
    assert store.key_of(f"media:{KEY}") == f"media/{KEY[:2]}/{KEY}"
    with pytest.raises(SettingError):
        media_store_from_env({"MEDIA_STORE": "s3"})
    with pytest.raises(SettingError):
        media_store_from_env({"MEDIA_STORE": "ftp"})
