"""The readers app's personal data (account, sign-ins, shares, rewards) in export, erasure and retention."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from privacy.registry import Subject
from privacy.services.erasure import erase_subject
from privacy.services.export import export_sections
from privacy.services.retention import enforce_retention
from readers.models import Reader, RewardEntry, SignInToken
from readers.services.rewards import reward_balances
from readers.services.shares import block_shares
from readers.services.sign_in import request_sign_in
from shop.services.buyer_identity import buyer_key
from tests.factories import make_creator, make_guide, make_product
from tests.privacy.helpers import scan_for
from tests.readers.reward_helpers import buy_through, share_of

pytestmark = pytest.mark.django_db

SHARER = "Ada.Sharer+news@example.com"


@pytest.fixture
def shared_sale(site_tree):
    guide = make_guide(make_creator("maya"), title="Desk lamps")
    lamp = make_product(title="Arc lamp", variants=[("ARC-1", "40.00", 50)])
    link = share_of(guide, SHARER)
    order = buy_through(link, lamp, email="friend@example.com", price="40.00", quantity=2)
    request_sign_in(SHARER)
    return link, order


def _subject() -> Subject:
    return Subject(key=buyer_key(SHARER), email=SHARER)


def test_the_export_holds_the_readers_account_share_and_reward(shared_sale):
    link, order = shared_sale
    rows = export_sections(_subject())["reader_account"]

    assert [(row["record"], row["id"]) for row in rows] == [
        ("reader_account", Reader.objects.get().pk), ("share_link", link.pk),
        ("reward_entry", RewardEntry.objects.get().pk)]
    assert rows[0]["email"] == SHARER
    assert (rows[2]["amount"], rows[2]["currency"], rows[2]["order_id"]) == ("4.00", "USD", order.pk)
    assert export_sections(Subject(key=buyer_key("someone@example.com")))["reader_account"] == []


def test_the_export_says_what_a_share_led_to_and_why_staff_blocked_it(shared_sale):
    link, _ = shared_sale
    block_shares([link.pk], reason="Posted in a coupon spam group")

    row = next(row for row in export_sections(_subject())["reader_account"] if row["record"] == "share_link")

    block = link.share_block
    assert {key: row[key] for key in ("target", "page_id", "product_id", "team_code", "active", "blocked_at",
                                      "blocked_because")} == {
        "target": link.target_kind, "page_id": link.page_id, "product_id": link.product_id, "team_code": "",
        "active": False, "blocked_at": block.blocked_at.isoformat(), "blocked_because": "Posted in a coupon spam group"}


def test_erasure_leaves_no_trace_of_the_reader_and_keeps_the_reward_books(shared_sale):
    reader = Reader.objects.get()
    balances = reward_balances(reader)
    assert scan_for({"email": SHARER})["email"]

    erase_subject(_subject(), now=timezone.now())

    assert scan_for({"email": SHARER, "normalised": "ada.sharer@example.com"}) == {"email": [], "normalised": []}
    reader.refresh_from_db()
    assert reader.email == f"erased-reader-{reader.pk}@erased.invalid"
    assert reader.session_version == 2  # every session is signed out
    assert SignInToken.objects.count() == 0
    assert reward_balances(reader) == balances
    assert RewardEntry.objects.get().amount == Decimal("4.00")
    # A later sign-in with the same address starts afresh; a second erasure changes nothing.
    assert erase_subject(_subject(), now=timezone.now()).erased
    assert Reader.objects.get().email == reader.email


def test_retention_deletes_sign_ins_a_week_after_they_expire(shared_sale):
    token = SignInToken.objects.get()

    enforce_retention(now=token.expires_at + timedelta(days=6))
    assert SignInToken.objects.count() == 1

    counts = enforce_retention(now=token.expires_at + timedelta(days=7, seconds=1))
    assert SignInToken.objects.count() == 0
    assert counts["reader_account"] == 1


def test_no_order_e_mail_goes_to_an_erased_buyer(shared_sale):
    from django.core import mail

    from shop.services.notifications import send_order_email

    from shop.models import Order, OrderStatus

    _, order = shared_sale
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.FULFILLED)
    erase_subject(Subject(key=buyer_key("friend@example.com")), now=timezone.now() + timedelta(days=400))
    order.refresh_from_db()
    assert order.email.endswith("@erased.invalid")
    mail.outbox.clear()

    assert send_order_email(order.pk, "shipped") is False
    assert mail.outbox == []
