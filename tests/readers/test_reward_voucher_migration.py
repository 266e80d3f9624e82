"""``readers 0005_outage2`` marks again, in committed batches, the reward vouchers the previous release redeemed
during the deploy (``reissue_unused = false``): idempotent, and a run interrupted after some batches and run again
ends as one run does (PostgreSQL, real commits)."""

import importlib
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.utils import timezone

from readers.models import RewardEntry
from shop.models import Voucher
from tests.migration_runs import Interrupted, batches_then_interrupted, is_applied, migrate
from tests.readers.reward_helpers import make_reader

MIGRATION = importlib.import_module("readers.migrations.0005_outage2")
REWARD_CODES = ["SHARE-A", "SHARE-B", "SHARE-C", "SHARE-D", "SHARE-E"]


def _vouchers() -> None:
    """Five reward vouchers, each with its redemption, all unmarked as the previous release made them; a shop
    voucher nobody redeemed and a percent voucher named by a redemption, both to be left alone."""
    reader = make_reader("ada@example.com")
    for code in [*REWARD_CODES, "PCT-10"]:
        Voucher.objects.create(code=code, kind="percent" if code == "PCT-10" else "fixed", value=Decimal("2.00"),
                               currency="USD", usage_limit=1, reissue_unused=False)
        RewardEntry.objects.create(reader=reader, kind="redemption", amount=Decimal("2.00"), currency="USD",
                                   source_ref=f"voucher:{code}", effective_at=timezone.now())
    Voucher.objects.create(code="WELCOME", kind="fixed", value=Decimal("5.00"), currency="USD", usage_limit=1,
                           reissue_unused=False)


def _marked() -> list[str]:
    return sorted(Voucher.objects.filter(reissue_unused=True).values_list("code", flat=True))


@pytest.mark.django_db
def test_the_marking_runs_in_batches_marks_only_reward_vouchers_and_a_second_run_changes_nothing(monkeypatch):
    _vouchers()
    monkeypatch.setattr(MIGRATION, "ENTRIES_PER_BATCH", 2)
    editor = SimpleNamespace(connection=connection)

    MIGRATION.mark_reward_vouchers_again(apps, editor)
    first = _marked()
    MIGRATION.mark_reward_vouchers_again(apps, editor)

    assert first == _marked() == REWARD_CODES


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_interrupted_marking_commits_its_batches_and_a_rerun_finishes_it(monkeypatch):
    _vouchers()
    try:
        migrate([("readers", "0004_vouchers2")])
        Voucher.objects.update(reissue_unused=False)  # as the previous release's redemptions left them
        monkeypatch.setattr(MIGRATION, "ENTRIES_PER_BATCH", 2)
        monkeypatch.setattr(MIGRATION, "transaction", batches_then_interrupted(1))

        with pytest.raises(Interrupted):
            migrate()

        assert connection.get_autocommit() and not connection.in_atomic_block
        assert _marked() == REWARD_CODES[:2]  # the first batch committed
        assert not is_applied("readers", "0005_outage2")

        monkeypatch.undo()
        monkeypatch.setattr(MIGRATION, "ENTRIES_PER_BATCH", 2)
        migrate()

        assert is_applied("readers", "0005_outage2")
        assert _marked() == REWARD_CODES
    finally:
        monkeypatch.undo()
        migrate()
