"""The API's ``parent`` meta field, read in one query, says what Wagtail's own field says."""

import pytest
from wagtail.api.v2.serializers import PageParentField

from tests.factories import make_creator, make_guide

pytestmark = pytest.mark.django_db


def test_a_guide_names_its_creator_page_as_parent_exactly_as_wagtail_does(api_client, monkeypatch):
    guide = make_guide(make_creator("mia"), title="Sound", slug="sound", body=[])
    url = f"/api/v2/pages/{guide.pk}/"

    ours = api_client.get(url).json()["meta"]["parent"]
    monkeypatch.setattr("content.api.views.InSiteParentField.get_attribute", PageParentField.get_attribute)
    from django.core.cache import cache

    cache.clear()
    wagtails = api_client.get(url).json()["meta"]["parent"]

    assert ours == wagtails
    assert ours["id"] == guide.get_parent().pk and ours["meta"]["type"] == "creators.CreatorPage"


def test_a_parent_outside_the_api_s_pages_is_null(api_client):
    guide = make_guide(make_creator("mia"), title="Sound", slug="sound", body=[])
    guide.get_parent().specific.unpublish()

    assert api_client.get(f"/api/v2/pages/{guide.pk}/").json()["meta"]["parent"] is None
