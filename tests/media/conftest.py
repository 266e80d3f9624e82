"""Media tests run against moto's S3 in server mode on loopback, through real boto3 and HTTP."""

import io
import itertools
import logging
from dataclasses import dataclass

import boto3
import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.images import ImageFile
from moto.server import ThreadedMotoServer
from PIL import Image as PILImage
from wagtail.images.models import Image

from media.models import Video, VideoStatus
from media.services.roles import CREATORS_GROUP_NAME
from media.storage import s3_storage_settings

BUCKET = "kolshop-media"
REGION = "us-east-1"
MIB = 1024**2
_sequence = itertools.count(1)


@pytest.fixture(scope="session")
def moto_endpoint():
    """One moto S3 server for the session, on 127.0.0.1 and a free port the OS picks."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one log line per S3 request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@dataclass
class S3Bucket:
    endpoint: str
    name: str
    client: object

    def keys(self, prefix: str = "") -> list[str]:
        response = self.client.list_objects_v2(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for item in response.get("Contents", []))

    def open_multipart_uploads(self) -> list[str]:
        return [upload["Key"] for upload in self.client.list_multipart_uploads(Bucket=self.name).get("Uploads", [])]


@pytest.fixture
def s3_bucket(settings, moto_endpoint, monkeypatch) -> S3Bucket:
    """A fresh bucket, and settings that put Wagtail images, documents, renditions and videos in it."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    overrides = s3_storage_settings(
        storages=settings.STORAGES,
        bucket=BUCKET,
        region=REGION,
        endpoint_url=moto_endpoint,
        access_key="testing",
        secret_key="testing",
        addressing_style="path",
    )
    for name, value in overrides.items():
        setattr(settings, name, value)
    settings.KOLSHOP_VIDEO_MAX_BYTES = 8 * MIB
    settings.KOLSHOP_VIDEO_MULTIPART_THRESHOLD_BYTES = 5 * MIB
    settings.KOLSHOP_VIDEO_PART_BYTES = 5 * MIB
    settings.KOLSHOP_VIDEO_CONTENT_TYPES = ["video/mp4", "video/webm"]
    client = boto3.client(
        "s3", endpoint_url=moto_endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    client.create_bucket(Bucket=BUCKET)
    return S3Bucket(endpoint=moto_endpoint, name=BUCKET, client=client)


def make_user(username: str | None = None, *, creator: bool = True):
    username = username or f"mediauser{next(_sequence)}"
    user = get_user_model().objects.create_user(username=username, password="pass", email=f"{username}@example.com")
    if creator:
        user.groups.add(Group.objects.get(name=CREATORS_GROUP_NAME))
    return user


def make_image(title: str = "Poster", *, width: int = 1600, height: int = 900) -> Image:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), "purple").save(buffer, format="PNG")
    return Image.objects.create(title=title, file=ImageFile(buffer, name=f"poster-{next(_sequence)}.png"))


def make_video(owner, *, title: str = "Replay", status: str = VideoStatus.UPLOADED, key: str | None = None, poster=None, size_bytes: int = 11, content_type: str = "video/mp4") -> Video:
    """A video row (no object in S3 unless the test puts one there)."""
    from django.utils import timezone

    number = next(_sequence)
    return Video.objects.create(
        title=title,
        owner=owner,
        object_key=key or f"videos/test{number:04d}/clip.mp4",
        content_type=content_type,
        size_bytes=size_bytes,
        duration_seconds=95,
        poster=poster,
        status=status,
        uploaded_at=None if status == VideoStatus.PENDING else timezone.now(),
    )


@pytest.fixture
def creator(db):
    return make_user("mia")


@pytest.fixture
def creator_client(client, creator):
    client.force_login(creator)
    return client
