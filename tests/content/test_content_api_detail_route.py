"""A page's detail URL is matched at the top level, before the router's includes; the router's own detail pattern
still names the page's ``detail_url``."""

import pytest
from django.urls import resolve, reverse

from content.api.router import api_router
from tests.factories import make_creator, make_guide, make_product, product_card

pytestmark = pytest.mark.django_db


def test_a_pages_detail_resolves_to_the_top_level_pattern_and_keeps_its_detail_url(api_client):
    guide = make_guide(make_creator("pia"), body=[product_card(make_product())])

    match = resolve(f"/api/v2/pages/{guide.pk}/")
    response = api_client.get(f"/api/v2/pages/{guide.pk}/")

    assert (match.route, match.namespaces, match.kwargs) == ("api/v2/pages/<int:pk>/", [], {"pk": guide.pk})
    assert api_router.get_model_endpoint(type(guide))[0] == "pages"
    assert reverse("content_api:pages:detail", kwargs={"pk": guide.pk}) == f"/api/v2/pages/{guide.pk}/"
    assert response.status_code == 200
    assert response.json()["meta"]["detail_url"] == f"{guide.get_site().root_url}/api/v2/pages/{guide.pk}/"
