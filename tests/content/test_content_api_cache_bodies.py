"""A cached page's JSON is kept apart from its entry: under its entity tag in the shared cache, and in a bounded memo
in each process that served it. A hit in a process that has not seen the JSON yet reads it from the shared cache;
an entry whose JSON is gone everywhere renders the page again."""

from collections import OrderedDict

import pytest
from django.core.cache import cache as default_cache

from content.services import page_cache
from tests.factories import make_creator, make_guide, make_product, product_card

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_process(monkeypatch):
    """Empties this process's memo of JSON bodies, as another process's would be."""
    def empty():
        monkeypatch.setattr(page_cache, "_BODIES", OrderedDict())
        monkeypatch.setattr(page_cache, "_bodies_bytes", 0)
    empty()
    return empty


def test_a_process_that_has_not_seen_the_json_serves_it_from_the_shared_cache(
        api_client, fresh_process, django_assert_num_queries):
    guide = make_guide(make_creator("pia"), body=[product_card(make_product())])
    rendered = api_client.get(f"/api/v2/pages/{guide.pk}/")

    fresh_process()
    with django_assert_num_queries(0):
        hit = api_client.get(f"/api/v2/pages/{guide.pk}/")
    with django_assert_num_queries(0):
        not_modified = api_client.get(f"/api/v2/pages/{guide.pk}/", HTTP_IF_NONE_MATCH=rendered["ETag"])

    assert (hit.status_code, hit.content, hit["ETag"]) == (200, rendered.content, rendered["ETag"])
    assert list(page_cache._BODIES) == [rendered["ETag"]]  # remembered by the hit
    assert not_modified.status_code == 304


def test_an_entry_whose_json_is_gone_everywhere_renders_the_page_again(api_client, fresh_process,
                                                                       django_assert_num_queries):
    guide = make_guide(make_creator("pia"), body=[product_card(make_product())])
    rendered = api_client.get(f"/api/v2/pages/{guide.pk}/")

    default_cache.delete(page_cache._body_key(rendered["ETag"]))  # evicted before its entry
    fresh_process()
    again = api_client.get(f"/api/v2/pages/{guide.pk}/")
    with django_assert_num_queries(0):
        hit = api_client.get(f"/api/v2/pages/{guide.pk}/")

    assert (again.status_code, again.content, again["ETag"]) == (200, rendered.content, rendered["ETag"])
    assert (hit.status_code, hit.content) == (200, rendered.content)


def test_the_process_memo_keeps_the_newest_bodies_within_its_limit(fresh_process, monkeypatch):
    monkeypatch.setattr(page_cache, "_BODIES_LIMIT_BYTES", 1000)
    bodies = {page_cache.etag_for(bytes([n]) * 200): bytes([n]) * 200 for n in range(8)}

    for etag, content in bodies.items():
        page_cache._remember_body(etag, content)
    page_cache._remember_body("\"too-big\"", b"x" * 251)  # over a quarter of the limit: never kept

    assert list(page_cache._BODIES) == list(bodies)[-5:]
    assert page_cache._bodies_bytes == 1000


def test_a_body_served_from_the_memo_lately_outlives_an_older_one_not_served_since(fresh_process, monkeypatch):
    monkeypatch.setattr(page_cache, "_BODIES_LIMIT_BYTES", 1000)
    bodies = {page_cache.etag_for(bytes([n]) * 200): bytes([n]) * 200 for n in range(6)}
    first, second, *others, last = bodies
    for etag in [first, second, *others]:
        page_cache._remember_body(etag, bodies[etag])

    assert page_cache._body(first) == bodies[first]  # a hit: the first body is now the most recently used
    page_cache._remember_body(last, bodies[last])  # over the limit: one body goes

    assert list(page_cache._BODIES) == [*others, first, last]  # the second (older, unhit since) went, not the first
    assert page_cache._bodies_bytes == 1000


def _rename_the_brand(guide, product) -> None:
    product.brand.name = "Renamed Audio"
    product.brand.save()


def _publish_a_new_title(guide, product) -> None:
    guide.title = "Renamed guide"
    guide.save_revision().publish()


@pytest.mark.parametrize(("change", "shown"), [
    (_rename_the_brand, lambda page: page["body"][0]["value"]["product"]["brand"]["name"] == "Renamed Audio"),
    (_publish_a_new_title, lambda page: page["title"] == "Renamed guide"),
])
def test_a_change_after_the_memo_holds_the_json_serves_the_new_json_under_a_new_etag(
        api_client, fresh_process, django_assert_num_queries, change, shown):
    product = make_product()
    guide = make_guide(make_creator("pia"), body=[product_card(product)])
    url = f"/api/v2/pages/{guide.pk}/"
    before = api_client.get(url)
    with django_assert_num_queries(0):
        hit = api_client.get(url)
    assert (hit.content, page_cache._BODIES[before["ETag"]]) == (before.content, before.content)  # served from the memo

    change(guide, product)
    after = api_client.get(url)
    with_the_old_etag = api_client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])

    assert after.status_code == 200 and shown(after.json()) and after["ETag"] != before["ETag"]
    assert (with_the_old_etag.status_code, with_the_old_etag.content, with_the_old_etag["ETag"]) == (
        200, after.content, after["ETag"])
