"""The one module that talks to S3 (boto3/botocore); nothing else in kolshop imports them.

Reads the same settings django-storages uses (``AWS_STORAGE_BUCKET_NAME``, ``AWS_S3_REGION_NAME``,
``AWS_S3_ENDPOINT_URL``, ``AWS_S3_CUSTOM_DOMAIN``, ``AWS_S3_ADDRESSING_STYLE``, optional
``AWS_S3_ACCESS_KEY_ID``/``AWS_S3_SECRET_ACCESS_KEY``), so images, documents and videos share one
bucket. Credentials otherwise come from boto3's usual chain (environment, instance role).
Client configuration is pinned: SigV4 signatures, standard retries, explicit timeouts.
Every botocore error leaves this module as one of the exceptions below.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import quote

import boto3
from botocore.client import Config
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

SIGNATURE_VERSION = "s3v4"
VISIBILITY_TAG = "kolshop-visibility"


class S3Error(Exception):
    """S3 refused or failed a request (network, credentials, service error)."""


class S3NotConfigured(S3Error):
    """No bucket is configured (AWS_STORAGE_BUCKET_NAME is empty): direct uploads are impossible."""


class ObjectNotFound(S3Error):
    """The object (or the multipart upload) does not exist."""


@dataclass(frozen=True)
class S3Config:
    bucket: str
    region: str | None
    endpoint_url: str | None
    custom_domain: str | None
    addressing_style: str | None
    access_key: str | None
    secret_key: str | None
    url_protocol: str


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    content_type: str
    etag: str


@dataclass(frozen=True)
class PresignedPost:
    url: str
    fields: dict[str, str]


@dataclass(frozen=True)
class CompletedPart:
    part_number: int
    etag: str


def current_config() -> S3Config:
    bucket = getattr(settings, "AWS_STORAGE_BUCKET_NAME", "") or ""
    if not bucket:
        raise S3NotConfigured("AWS_STORAGE_BUCKET_NAME is not set.")
    return S3Config(
        bucket=bucket,
        region=getattr(settings, "AWS_S3_REGION_NAME", None) or None,
        endpoint_url=getattr(settings, "AWS_S3_ENDPOINT_URL", None) or None,
        custom_domain=getattr(settings, "AWS_S3_CUSTOM_DOMAIN", None) or None,
        addressing_style=getattr(settings, "AWS_S3_ADDRESSING_STYLE", None) or None,
        access_key=getattr(settings, "AWS_S3_ACCESS_KEY_ID", None) or None,
        secret_key=getattr(settings, "AWS_S3_SECRET_ACCESS_KEY", None) or None,
        url_protocol=getattr(settings, "AWS_S3_URL_PROTOCOL", "https:") or "https:",
    )


def is_configured() -> bool:
    return bool(getattr(settings, "AWS_STORAGE_BUCKET_NAME", ""))


@functools.lru_cache(maxsize=8)
def _client_for(config: S3Config):
    client_config = Config(
        signature_version=SIGNATURE_VERSION,
        s3={"addressing_style": config.addressing_style or "auto"},
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5,
        read_timeout=30,
    )
    return boto3.session.Session().client(
        "s3",
        region_name=config.region,
        endpoint_url=config.endpoint_url,
        aws_access_key_id=config.access_key,
        aws_secret_access_key=config.secret_key,
        config=client_config,
    )


def client(config: S3Config | None = None):
    """A boto3 S3 client for the configured bucket (cached per configuration; clients are thread-safe)."""
    return _client_for(config or current_config())


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _call(operation, **kwargs):
    try:
        return operation(**kwargs)
    except ClientError as error:
        if _error_code(error) in {"404", "NoSuchKey", "NotFound", "NoSuchUpload"}:
            raise ObjectNotFound(str(error)) from error
        raise S3Error(str(error)) from error
    except BotoCoreError as error:
        raise S3Error(str(error)) from error


def presigned_post(
    key: str, *, content_type: str, min_bytes: int, max_bytes: int, expires_in: int
) -> PresignedPost:
    """A browser form upload that S3 accepts only for this key, this type and this size range."""
    config = current_config()
    response = _call(
        client(config).generate_presigned_post,
        Bucket=config.bucket,
        Key=key,
        Fields={"Content-Type": content_type},
        Conditions=[
            {"Content-Type": content_type},
            ["content-length-range", min_bytes, max_bytes],
        ],
        ExpiresIn=expires_in,
    )
    return PresignedPost(url=response["url"], fields=dict(response["fields"]))


def create_multipart_upload(key: str, *, content_type: str) -> str:
    """Starts a multipart upload; returns its UploadId."""
    config = current_config()
    response = _call(client(config).create_multipart_upload, Bucket=config.bucket, Key=key, ContentType=content_type)
    return response["UploadId"]


def presigned_part_urls(key: str, *, upload_id: str, part_count: int, expires_in: int) -> list[str]:
    """One presigned PUT URL per part, numbered from 1."""
    config = current_config()
    s3 = client(config)
    return [
        _call(
            s3.generate_presigned_url,
            ClientMethod="upload_part",
            Params={"Bucket": config.bucket, "Key": key, "UploadId": upload_id, "PartNumber": number},
            ExpiresIn=expires_in,
        )
        for number in range(1, part_count + 1)
    ]


def complete_multipart_upload(key: str, *, upload_id: str, parts: list[CompletedPart]) -> None:
    config = current_config()
    _call(
        client(config).complete_multipart_upload,
        Bucket=config.bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [
                {"PartNumber": part.part_number, "ETag": part.etag}
                for part in sorted(parts, key=lambda part: part.part_number)
            ]
        },
    )


def abort_multipart_upload(key: str, *, upload_id: str) -> None:
    """Drops the uploaded parts; an upload that is already gone counts as aborted."""
    config = current_config()
    try:
        _call(client(config).abort_multipart_upload, Bucket=config.bucket, Key=key, UploadId=upload_id)
    except ObjectNotFound:
        pass


def head_object(key: str) -> ObjectInfo:
    config = current_config()
    response = _call(client(config).head_object, Bucket=config.bucket, Key=key)
    return ObjectInfo(
        size=int(response["ContentLength"]),
        content_type=response.get("ContentType", ""),
        etag=response.get("ETag", "").strip('"'),
    )


def delete_object(key: str) -> None:
    """Deletes the object; S3 answers 204 for a key that does not exist, so this is idempotent."""
    config = current_config()
    _call(client(config).delete_object, Bucket=config.bucket, Key=key)


def set_visibility(key: str, *, public: bool) -> None:
    """Tags the object; the bucket policy lets the CDN (or everyone) read only objects tagged public."""
    config = current_config()
    _call(
        client(config).put_object_tagging,
        Bucket=config.bucket,
        Key=key,
        Tagging={"TagSet": [{"Key": VISIBILITY_TAG, "Value": "public" if public else "private"}]},
    )


def presigned_get_url(key: str, *, expires_in: int) -> str:
    """A GET URL signed with SigV4 that stops working after ``expires_in`` seconds."""
    config = current_config()
    return _call(
        client(config).generate_presigned_url,
        ClientMethod="get_object",
        Params={"Bucket": config.bucket, "Key": key},
        ExpiresIn=expires_in,
    )


def public_url(key: str) -> str:
    """The unsigned URL: through the CDN domain when one is set, else the bucket's own address."""
    config = current_config()
    if config.custom_domain:
        return f"{config.url_protocol}//{config.custom_domain}/{quote(key)}"
    s3 = client(config)
    # The client's own endpoint (after region and addressing-style resolution) with the key appended.
    unsigned = s3.generate_presigned_url(
        ClientMethod="get_object", Params={"Bucket": config.bucket, "Key": key}, ExpiresIn=1
    )
    return unsigned.split("?", 1)[0]
