"""A follow the fast path counted and then failed to answer (something raised after the count) is answered by
Django with the click already counted: one click, one use of the client's click limit, and the redirect
carries that click."""

import pytest

from creators import views
from creators.fast_follow import FastFollow
from tests.creators.asgi_calls import CountingDjango, asgi_get
from tests.creators.helpers import PHONE
from tests.creators.test_fast_follow import click_in, mug_link, written_clicks  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_follow_that_fails_after_its_count_is_answered_by_django_without_a_second_count(
        wagtail_base_data, queue, mug_link, monkeypatch):  # noqa: F811
    django = CountingDjango()
    fast = FastFollow(django)
    # A bot's follow (redirected, never counted) goes to Django, which caches the route for the fast path.
    assert asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": "curl/8.5.0"}).status == 302
    assert django.calls == 1 and not written_clicks().exists()
    counted, failed = [], []
    real_count, real_destination = views.count_followed_click, views.route_destination

    def count(route, **client):
        click_id = real_count(route, **client)  # a follow that must block on the event loop raises before its count
        counted.append(route.link_id)
        return click_id

    def destination_failing_once(route, **options):
        if not failed:
            failed.append(route.link_id)
            raise RuntimeError("raised after the click was counted")
        return real_destination(route, **options)

    monkeypatch.setattr(views, "count_followed_click", count)
    monkeypatch.setattr(views, "route_destination", destination_failing_once)

    answer = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": PHONE})

    # The fast path counted and failed; Django answered the same request without counting it again.
    assert (answer.status, django.calls, failed, counted) == (302, 2, [mug_link.pk], [mug_link.pk])
    click = written_clicks().get()
    assert (click.link_id, click_in(answer)) == (mug_link.pk, click.pk)

    # The next follow (a new request) is counted as ever: the fast path answers it, with its own count.
    second = asgi_get(fast, "/r/mug-anna/", headers={"User-Agent": f"{PHONE} another reader"})
    assert (second.status, django.calls, counted) == (302, 2, [mug_link.pk, mug_link.pk])
    assert [row.pk for row in written_clicks()] == [click.pk, click_in(second)]
