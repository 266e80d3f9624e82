"""Pins: an append-only log, one open pin per session (the database says so), only while live."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from content.live.models import LivePin, ReplayChapter
from content.live.services import (
    edit_chapter,
    end_session,
    pin_product,
    session_of,
    start_session,
    unpin_product,
)
from shop.errors import Conflict, InvalidInput
from tests.factories import make_product
from tests.live.helpers import lipstick, make_session

pytestmark = pytest.mark.django_db


def test_pinning_while_scheduled_is_refused_and_logs_nothing():
    product = lipstick()
    page = make_session(products=[product])

    with pytest.raises(Conflict) as error:
        pin_product(page, product_id=product.pk)

    assert error.value.code == "session_not_live"
    assert LivePin.objects.count() == 0


def test_a_new_pin_closes_the_open_one_and_records_offsets_from_the_start():
    first, second = lipstick("LIP-1"), lipstick("LIP-2")
    page = make_session(products=[first, second])
    t0 = timezone.now()
    start_session(page, now=t0)

    pin_product(page, product_id=first.pk, now=t0 + timedelta(seconds=30))
    pin_product(page, product_id=second.pk, variant_id=second.variants.get().pk, now=t0 + timedelta(seconds=95))

    pins = list(LivePin.objects.order_by("pk").values_list(
        "product_id", "variant_id", "offset_seconds", "unpinned_offset_seconds"))
    assert pins == [(first.pk, None, 30, 95), (second.pk, second.variants.get().pk, 95, None)]
    assert session_of(page).version == 4


def test_the_database_refuses_a_second_open_pin():
    product = lipstick()
    page = make_session(products=[product])
    start_session(page)
    pin = pin_product(page, product_id=product.pk)

    with pytest.raises(IntegrityError), transaction.atomic():
        LivePin.objects.create(session=pin.session, product=product, pinned_at=timezone.now(), offset_seconds=5)


def test_only_products_of_the_line_up_can_be_pinned():
    featured, other = lipstick("LIP-1"), make_product(title="Elsewhere")
    page = make_session(products=[featured])
    start_session(page)

    with pytest.raises(InvalidInput) as error:
        pin_product(page, product_id=other.pk)

    assert (error.value.code, error.value.field) == ("not_in_line_up", "product")


def test_unpin_closes_the_pin_and_unpinning_again_changes_nothing():
    product = lipstick()
    page = make_session(products=[product])
    t0 = timezone.now()
    start_session(page, now=t0)
    pin_product(page, product_id=product.pk, now=t0 + timedelta(seconds=10))

    unpin_product(page, now=t0 + timedelta(seconds=70))
    again = unpin_product(page, now=t0 + timedelta(seconds=90))

    assert again is None
    assert list(LivePin.objects.values_list("offset_seconds", "unpinned_offset_seconds")) == [(10, 70)]
    assert session_of(page).version == 4


def test_ending_makes_one_chapter_per_pin_and_the_creator_can_edit_it():
    first, second = lipstick("LIP-1"), lipstick("LIP-2")
    page = make_session(products=[first, second])
    t0 = timezone.now()
    start_session(page, now=t0)
    pin_product(page, product_id=first.pk, now=t0 + timedelta(seconds=30))
    pin_product(page, product_id=second.pk, now=t0 + timedelta(seconds=95))

    end_session(page, now=t0 + timedelta(seconds=200))
    chapter = ReplayChapter.objects.get(product=first)
    edit_chapter(page, chapter_id=chapter.pk, title="Swatches", start_seconds=25, end_seconds=90)

    assert list(ReplayChapter.objects.values_list("title", "product_id", "start_seconds", "end_seconds")) == [
        ("Swatches", first.pk, 25, 90), ("Lipstick LIP-2", second.pk, 95, 200)]


def test_a_chapter_must_end_after_it_starts():
    product = lipstick()
    page = make_session(products=[product])
    start_session(page)
    pin_product(page, product_id=product.pk)
    end_session(page)
    chapter = ReplayChapter.objects.get()

    with pytest.raises(InvalidInput) as error:
        edit_chapter(page, chapter_id=chapter.pk, title="Intro", start_seconds=50, end_seconds=50)

    assert error.value.field == "end_seconds"
