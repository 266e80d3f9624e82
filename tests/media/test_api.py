"""/api/v1/media/: session-authenticated creators start, confirm, read and delete their uploads."""

import pytest
import requests

from media.models import Video, VideoStatus
from tests.media.conftest import MIB, make_user, make_video

START_URL = "/api/v1/media/videos/uploads"


def start_body(**overrides) -> dict:
    return {"title": "Unboxing", "filename": "unboxing.mp4", "content_type": "video/mp4", "size_bytes": 5, **overrides}


@pytest.mark.django_db
def test_anonymous_users_get_401(client, s3_bucket):
    response = client.post(START_URL, start_body(), content_type="application/json")

    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "Authentication required.", "field": None}


@pytest.mark.django_db
def test_users_without_the_upload_permission_get_403(client, s3_bucket):
    client.force_login(make_user("reader", creator=False))

    response = client.post(START_URL, start_body(), content_type="application/json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert Video.objects.count() == 0


@pytest.mark.django_db
def test_start_upload_confirm_and_read_end_to_end(creator_client, creator, s3_bucket, django_assert_num_queries):
    started = creator_client.post(START_URL, start_body(duration_seconds=30), content_type="application/json")
    ticket = started.json()
    sent = requests.post(
        ticket["upload"]["post"]["url"], data=ticket["upload"]["post"]["fields"], files={"file": ("u.mp4", b"12345")},
        timeout=30,
    )
    video_id = ticket["video"]["id"]
    confirmed = creator_client.post(f"/api/v1/media/videos/{video_id}/confirm", content_type="application/json")
    creator_client.get(f"/api/v1/media/videos/{video_id}")  # warm-up
    with django_assert_num_queries(5):  # session, user, video, user permissions, group permissions
        read = creator_client.get(f"/api/v1/media/videos/{video_id}")

    assert started.status_code == 201
    assert ticket["video"] | {"id": 0} == {
        "id": 0, "title": "Unboxing", "status": "pending", "content_type": "video/mp4", "size_bytes": 5,
        "duration_seconds": 30, "poster_id": None, "url": None, "url_expires_at": None,
    }
    assert ticket["upload"]["method"] == "post"
    assert (ticket["upload"]["parts"], ticket["upload"]["part_bytes"]) == ([], None)
    assert sent.status_code == 204
    assert confirmed.status_code == 200
    assert confirmed.json()["status"] == "uploaded"
    body = read.json()
    assert read.status_code == 200
    assert body["url"].startswith(f"{s3_bucket.endpoint}/kolshop-media/videos/")
    assert "X-Amz-Expires=300" in body["url"]
    assert requests.get(body["url"], timeout=10).content == b"12345"
    assert Video.objects.get().owner == creator


@pytest.mark.django_db
def test_start_returns_part_urls_for_a_large_file(creator_client, s3_bucket):
    response = creator_client.post(START_URL, start_body(size_bytes=6 * MIB), content_type="application/json")

    upload = response.json()["upload"]
    assert response.status_code == 201
    assert (upload["method"], upload["post"], upload["part_bytes"]) == ("multipart", None, 5 * MIB)
    assert [part["part_number"] for part in upload["parts"]] == [1, 2]
    assert s3_bucket.open_multipart_uploads() == [Video.objects.get().object_key]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"content_type": "application/pdf"}, "unsupported_content_type", "content_type"),
        ({"size_bytes": 8 * MIB + 1}, "file_too_large", "size_bytes"),
        ({"size_bytes": 0}, "invalid", "size_bytes"),
        ({"title": ""}, "invalid", "title"),
    ],
)
def test_start_refuses_bad_input_with_the_field(creator_client, s3_bucket, overrides, code, field):
    response = creator_client.post(START_URL, start_body(**overrides), content_type="application/json")

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == (code, field)
    assert Video.objects.count() == 0
    assert s3_bucket.open_multipart_uploads() == []


@pytest.mark.django_db
def test_confirm_before_upload_is_409_and_the_video_stays_pending(creator_client, s3_bucket):
    video_id = creator_client.post(START_URL, start_body(), content_type="application/json").json()["video"]["id"]

    response = creator_client.post(f"/api/v1/media/videos/{video_id}/confirm", content_type="application/json")

    assert response.status_code == 409
    assert response.json() == {"code": "upload_missing", "message": "The file has not been uploaded yet.", "field": None}
    assert Video.objects.get().status == VideoStatus.PENDING


@pytest.mark.django_db
def test_confirm_refuses_wrong_type_sent_to_s3(creator_client, s3_bucket, django_capture_on_commit_callbacks):
    ticket = creator_client.post(START_URL, start_body(), content_type="application/json").json()
    fields = ticket["upload"]["post"]["fields"] | {"Content-Type": "image/svg+xml"}
    requests.post(ticket["upload"]["post"]["url"], data=fields, files={"file": ("u.mp4", b"<svg>")}, timeout=30)

    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.post(
            f"/api/v1/media/videos/{ticket['video']['id']}/confirm", content_type="application/json"
        )

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("upload_rejected", "content_type")
    assert Video.objects.count() == 0
    assert s3_bucket.keys("videos/") == []


@pytest.mark.django_db
def test_confirm_with_a_malformed_part_list_is_400(creator_client, s3_bucket):
    video_id = creator_client.post(START_URL, start_body(), content_type="application/json").json()["video"]["id"]

    response = creator_client.post(
        f"/api/v1/media/videos/{video_id}/confirm", {"parts": [{"part_number": 0, "etag": ""}]},
        content_type="application/json",
    )

    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("invalid", "parts.0.part_number")


@pytest.mark.django_db
def test_another_creators_video_is_not_found(creator_client, s3_bucket):
    others = make_video(make_user("leo"))

    read = creator_client.get(f"/api/v1/media/videos/{others.pk}")
    confirm = creator_client.post(f"/api/v1/media/videos/{others.pk}/confirm", content_type="application/json")
    delete = creator_client.delete(f"/api/v1/media/videos/{others.pk}")

    assert [read.status_code, confirm.status_code, delete.status_code] == [404, 404, 404]
    assert read.json() == {"code": "not_found", "message": "No such video.", "field": None}
    assert Video.objects.filter(pk=others.pk).exists()


@pytest.mark.django_db
def test_delete_removes_the_video_and_its_object(creator_client, creator, s3_bucket, django_capture_on_commit_callbacks):
    video = make_video(creator)
    s3_bucket.client.put_object(Bucket=s3_bucket.name, Key=video.object_key, Body=b"x")

    with django_capture_on_commit_callbacks(execute=True):
        response = creator_client.delete(f"/api/v1/media/videos/{video.pk}")

    assert response.status_code == 204
    assert Video.objects.count() == 0
    assert s3_bucket.keys("videos/") == []
