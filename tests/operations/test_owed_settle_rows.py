"""How many ``OwedCacheSettle`` rows an outage leaves and who deletes them (``operations.owed_settles``): one row per
process, cache and outage; a settle by the owing process pays its recorded rows, so an outage settles each cache
once, not again when the settler finds the rows; a claim is leased, so a payer that died leaves its rows to another."""

import datetime as dt

import pytest
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone

from content.services import page_cache
from creators.services import link_routes
from operations import owed_settles
from operations.models import OwedCacheSettle

# A payer claims rows outside a transaction (a settler's pass, a request's first use of the cache after an outage).
pytestmark = pytest.mark.django_db(transaction=True)


def _page_generation():
    return caches.create_connection("default").get(page_cache._GENERATION_KEY)  # as another app process reads it


def test_a_process_that_settles_its_own_debt_pays_its_row_and_the_settler_does_not_settle_again(outage):
    before = page_cache.look_up_page(41, variant="host=shop.example.com")
    page_cache.store_page(before, b'{"id": 41}')

    outage.stop()
    page_cache.forget_all_pages()  # lost: owed here, and recorded for other processes
    recorded = OwedCacheSettle.objects.count()
    outage.start()
    page_cache.look_up_page(41, variant="host=shop.example.com")  # this process's next use: it settles first
    settled_once = _page_generation()
    rendered_since = page_cache.look_up_page(42, variant="host=shop.example.com")
    page_cache.store_page(rendered_since, b'{"id": 42}')  # a page cached after the settle
    left = owed_settles.pay_recorded_settles()  # a settler's pass a few seconds later

    assert (recorded, left, OwedCacheSettle.objects.count()) == (1, 0, 0)
    assert settled_once not in (None, before.tokens[0])
    assert _page_generation() == settled_once  # not moved again
    assert page_cache.look_up_page(42, variant="host=shop.example.com").cached.content == b'{"id": 42}'


def test_an_outage_records_one_row_per_process_and_cache_however_many_invalidations_it_loses(outage):
    outage.stop()
    for page_id in range(5):
        page_cache.forget_page(page_id)  # a sale's after-commit forgets, say
    with transaction.atomic():  # an editor's publish: the forget now and again at its commit
        page_cache.forget_all_pages()
    link_routes.forget_link_routes(["mug-anna"])
    link_routes.forget_link_routes(["mug-bob"])
    rows = sorted(OwedCacheSettle.objects.values_list("cache", flat=True))
    outage.start()

    assert rows == ["content.page_cache", "creators.link_routes"]
    assert page_cache.cache.owes_settle and link_routes.cache.owes_settle  # this process owes them all the same


def test_a_loss_after_another_payer_claimed_this_processes_row_is_recorded_again(outage):
    outage.stop()
    page_cache.forget_page(1)
    claimed = owed_settles.claim_recorded(page_cache.cache.name)  # another process's settler, Redis back for it
    page_cache.forget_page(2)  # lost here after that payer's claim: its settle may have begun before this loss
    rows = list(OwedCacheSettle.objects.order_by("pk").values_list("claim", flat=True))
    outage.start()

    assert claimed.rows == 1
    assert rows == [claimed.token, None]  # the new loss has a row of its own, unclaimed, for the next payer


def test_settles_retried_and_failing_through_an_outage_leave_one_row_however_long_it_lasts(outage):
    # given a cache lost while down, and payers that claim, fail to settle and give the rows back, over and over,
    # while the process goes on losing invalidations (security review: a row per retry cycle)
    outage.stop()
    page_cache.forget_page(0)
    for page_id in range(1, 21):
        claim = owed_settles.claim_recorded(page_cache.cache.name)
        page_cache.forget_page(page_id)  # lost after that claim: a row of its own
        claim.release()
    rows = list(OwedCacheSettle.objects.values_list("claim", flat=True))
    outage.start()

    # then one unclaimed row is left, and the next payer settles the cache once for every loss
    assert rows == [None]
    assert owed_settles.pay_recorded_settles() == 0 and not OwedCacheSettle.objects.exists()


def test_a_row_whose_payer_died_is_paid_after_its_lease_and_a_live_claim_is_left_to_its_payer(monkeypatch):
    settles = []
    monkeypatch.setattr(page_cache.cache, "_settle", lambda backend: settles.append("pages"))
    monkeypatch.setattr(link_routes.cache, "_settle", lambda backend: settles.append("routes"))
    now = timezone.now()
    OwedCacheSettle.objects.create(cache=page_cache.cache.name, lost_at=now, claim="0" * 32,
                                   claimed_until=now - dt.timedelta(seconds=1))  # its payer was killed mid-settle
    paying = OwedCacheSettle.objects.create(cache=link_routes.cache.name, lost_at=now, claim="1" * 32,
                                            claimed_until=now + dt.timedelta(seconds=60))

    owed_settles.pay_recorded_settles()

    assert settles == ["pages"]
    assert list(OwedCacheSettle.objects.values_list("pk", flat=True)) == [paying.pk]
