"""Search syntax from a hostile or clumsy user never breaks an admin listing or chooser.

Every admin route without URL kwargs (listings, choosers, their ``results/`` views, reports) is
requested with search terms that carry quote, operator and wildcard syntax, as a superuser (who
reaches every view) and as a creator (whose views are scoped). None may answer 500.
"""

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from tests.permissions.url_matrix import SKIPPED_ROUTE_NAMES, SKIPPED_ROUTES, admin_routes

# Quotes end FTS5 strings; the others are FTS5 operators and column filters.
HOSTILE_TERMS = ['\'";--', 'a"b NEAR(', '"" OR -* a:b']


def searchable_paths() -> list[str]:
    paths = []
    for route in admin_routes():
        if route.kwarg_names or route.name in SKIPPED_ROUTE_NAMES or route.route in SKIPPED_ROUTES:
            continue
        if route.name is None or any(word in route.route for word in ("logout", "failwhale")):
            continue
        paths.append("/" + route.route)
    return paths


@pytest.mark.parametrize("role", ["superuser", "creator_b"])
def test_hostile_search_terms_never_give_a_server_error(world, role):
    if role == "superuser":
        user = get_user_model().objects.create_superuser("root-search", "root@example.com", "x")
    else:
        user = world.creator_b.user
    client = Client(raise_request_exception=False)
    client.force_login(user)

    failures = []
    for path in searchable_paths():
        for term in HOSTILE_TERMS:
            response = client.get(f"{path}?q={quote(term)}")
            if response.status_code >= 500:
                failures.append((path, term, response.status_code))
                break
    assert failures == []


@pytest.mark.django_db
def test_a_term_with_a_quote_still_finds_what_it_names():
    from wagtail.search.backends import get_search_backend

    from tests.factories import make_product

    product = make_product(title='The "Cloud" tee')

    found = list(get_search_backend().search('"Cloud"', type(product).objects.all()))
    quoted = list(get_search_backend().search('Cloud"', type(product).objects.all()))

    assert found == [product]
    assert quoted == [product]
