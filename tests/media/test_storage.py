"""Wagtail images, renditions and documents go to S3 when the default storage is S3Storage."""

from django.core.files.base import ContentFile
from wagtail.documents.models import Document

from media.storage import S3_STORAGE_BACKEND, s3_storage_settings
from tests.media.conftest import make_image


def test_s3_storage_settings_switch_only_the_default_storage():
    storages = {"default": {"BACKEND": "x"}, "staticfiles": {"BACKEND": "y"}}

    overrides = s3_storage_settings(storages=storages, bucket="b", endpoint_url="https://minio.internal:9000")

    assert overrides["STORAGES"] == {"default": {"BACKEND": S3_STORAGE_BACKEND}, "staticfiles": {"BACKEND": "y"}}
    assert overrides["AWS_STORAGE_BUCKET_NAME"] == "b"
    assert overrides["AWS_S3_ENDPOINT_URL"] == "https://minio.internal:9000"
    assert overrides["AWS_DEFAULT_ACL"] is None
    assert list(overrides)[-1] == "STORAGES"


def test_image_and_its_rendition_are_stored_in_the_bucket(db, s3_bucket):
    image = make_image("Studio", width=800, height=600)

    rendition = image.get_rendition("fill-200x100")

    assert s3_bucket.keys("original_images/") == [image.file.name]
    assert s3_bucket.keys("images/") == [rendition.file.name]
    assert rendition.file.name.startswith("images/") and rendition.file.name.endswith(".fill-200x100.png")
    assert (rendition.width, rendition.height) == (200, 100)
    stored = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=rendition.file.name)
    assert stored["ContentLength"] == rendition.file.size
    assert rendition.url == f"{s3_bucket.endpoint}/{s3_bucket.name}/{rendition.file.name}"


def test_document_is_stored_in_the_bucket(db, s3_bucket):
    document = Document.objects.create(title="Size guide", file=ContentFile(b"S M L XL", name="size-guide.txt"))

    assert s3_bucket.keys("documents/") == ["documents/size-guide.txt"]
    body = s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=document.file.name)["Body"].read()
    assert body == b"S M L XL"
