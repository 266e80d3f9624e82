"""Which storage Wagtail images, documents and renditions use: local files, or S3 via django-storages.

``settings.production`` switches to S3 when ``AWS_STORAGE_BUCKET_NAME`` is set. ``s3_storage_settings``
builds the same configuration as plain setting values, so tests (and one-off scripts) can point
the default storage at any S3 endpoint, such as moto on loopback, with ``override_settings``.
"""

from typing import Any

S3_STORAGE_BACKEND = "storages.backends.s3.S3Storage"
LOCAL_STORAGE_BACKEND = "django.core.files.storage.FileSystemStorage"


def s3_storage_settings(
    *,
    storages: dict[str, dict[str, Any]],
    bucket: str,
    region: str | None = None,
    endpoint_url: str | None = None,
    custom_domain: str | None = None,
    access_key: str | None = None,
    secret_key: str | None = None,
    querystring_auth: bool = False,
    addressing_style: str | None = None,
    url_protocol: str = "https:",
) -> dict[str, Any]:
    """Setting name -> value for media on S3; ``storages`` is the current ``STORAGES`` (only default changes).

    Objects are private by default (no ACL); unsigned URLs work only for what the bucket policy
    makes readable (see README, "Production media on S3").
    """
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_REGION_NAME": region,
        "AWS_S3_ENDPOINT_URL": endpoint_url,
        "AWS_S3_CUSTOM_DOMAIN": custom_domain,
        "AWS_S3_ACCESS_KEY_ID": access_key,
        "AWS_S3_SECRET_ACCESS_KEY": secret_key,
        "AWS_S3_SIGNATURE_VERSION": "s3v4",
        "AWS_S3_ADDRESSING_STYLE": addressing_style,
        "AWS_S3_URL_PROTOCOL": url_protocol,
        "AWS_DEFAULT_ACL": None,
        "AWS_QUERYSTRING_AUTH": querystring_auth,
        "AWS_S3_FILE_OVERWRITE": False,
        # STORAGES last: changing it makes Django rebuild default_storage with the values above.
        "STORAGES": {**storages, "default": {"BACKEND": S3_STORAGE_BACKEND}},
    }
