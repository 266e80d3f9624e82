"""Staff record a request received outside the site and refuse one with a reason; others can't."""

import pytest

from privacy.models import DataSubjectRequest, RequestStatus
from privacy.services.requests import file_request
from tests.factories import make_brand_user
from tests.privacy.helpers import ADA

pytestmark = pytest.mark.django_db


def test_staff_record_a_request_and_the_person_gets_the_link(admin_client, admin_user, mailoutbox,
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/admin/privacy/requests/new/", {"kind": "export", "email": ADA.email})

    request = DataSubjectRequest.objects.get()
    assert response.status_code == 302
    assert (request.kind, request.channel, request.status, request.recorded_by, request.email) == (
        "export", "staff", "received", admin_user, ADA.email)
    assert [mail.to for mail in mailoutbox] == [[ADA.email]]


def test_staff_refuse_with_a_reason_and_the_email_is_dropped(admin_client):
    request = file_request(email=ADA.email, kind="erase")

    response = admin_client.post(f"/admin/privacy/requests/edit/{request.pk}/",
                                 {"reason": "Identity could not be confirmed."})

    request.refresh_from_db()
    assert response.status_code == 302
    assert (request.status, request.reason, request.email, request.subject_key) == (
        RequestStatus.REFUSED, "Identity could not be confirmed.", "", ADA.subject.key)


def test_the_list_and_inspect_views_show_no_email(admin_client):
    request = file_request(email=ADA.email, kind="erase")

    pages = [admin_client.get("/admin/privacy/requests/"),
             admin_client.get(f"/admin/privacy/requests/inspect/{request.pk}/")]

    assert [page.status_code for page in pages] == [200, 200]
    assert all(ADA.email not in page.content.decode() for page in pages)


@pytest.mark.parametrize("path", ["/admin/privacy/requests/", "/admin/privacy/requests/new/"])
def test_a_brand_user_may_not_see_or_record_requests(client, path):
    user = make_brand_user("brand-manager")
    client.force_login(user)

    response = client.get(path)
    posted = client.post("/admin/privacy/requests/new/", {"kind": "erase", "email": "x@example.com"})

    assert (response.status_code, posted.status_code) == (302, 302)
    assert DataSubjectRequest.objects.count() == 0
