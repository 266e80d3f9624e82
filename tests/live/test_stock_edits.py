"""A stock edit is announced once: one ``catalog_changed``, one live session version raise, one message to the streams."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from content.live import notify
from content.live.models import LiveSession
from content.live.services import pin_product, start_session
from shop.models import Stock
from shop.services.inventory import set_stock_on_hand
from tests.live.helpers import lipstick, make_session

pytestmark = pytest.mark.django_db


def test_setting_stock_on_hand_announces_the_change_once(django_capture_on_commit_callbacks, announced, monkeypatch):
    cache.clear()
    published = []
    monkeypatch.setattr(notify.pubsub, "publish", lambda channel, payload: published.append((channel, payload)))
    product = lipstick("LIP-1", on_hand=10)
    page = make_session(products=[product])
    with django_capture_on_commit_callbacks(execute=True):
        start_session(page, now=timezone.now() - timedelta(seconds=30))
        pin_product(page, product_id=product.pk)
    version, announced_before, published_before = (LiveSession.objects.get(page=page).version, len(announced),
                                                   len(published))

    with django_capture_on_commit_callbacks(execute=True):
        stock = set_stock_on_hand(product.variants.get(), on_hand=4)

    assert announced[announced_before:] == [[product.pk]]
    assert LiveSession.objects.get(page=page).version == version + 1
    assert published[published_before:] == [(f"live:{page.pk}", {"version": version + 1})]
    assert (stock.on_hand, Stock.objects.get(variant__product=product).on_hand) == (4, 4)


def test_setting_stock_of_a_variant_without_a_record_creates_it_and_announces_once(
        django_capture_on_commit_callbacks, announced):
    product = lipstick("LIP-2", on_hand=10)
    variant = product.variants.get()
    Stock.objects.filter(variant=variant).delete()
    announced.clear()

    with django_capture_on_commit_callbacks(execute=True):
        stock = set_stock_on_hand(variant, on_hand=7)

    assert announced == [[product.pk]]
    assert Stock.objects.get(variant=variant).on_hand == stock.on_hand == 7
