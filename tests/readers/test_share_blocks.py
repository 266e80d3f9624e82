"""Staff block readers' share links (one or many, with a reason): the link leads nowhere, earns nothing
more, and its reader cannot get it back or make a second link around the block."""

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from creators.link_admin import TrackedLinkViewSet
from creators.models import TrackedLink
from readers.models import Reader, RefusalReason, RewardEntry, RewardRefusal, ShareBlock
from readers.services.shares import block_shares, share
from shop.errors import InvalidInput, PermissionDenied
from tests.creators.helpers import PHONE
from tests.factories import make_creator, make_editor
from tests.readers.helpers import post_json, sign_in
from tests.readers.reward_helpers import buy_through, share_of

pytestmark = pytest.mark.django_db


def test_a_blocked_link_leads_nowhere_and_is_not_handed_back(client, ask, guide):
    sign_in(client, ask, "ada@example.com")
    code = post_json(client, "/api/v1/account/shares", {"page_id": guide.pk}).json()["code"]
    link = TrackedLink.objects.get(code=code)
    assert Client(headers={"User-Agent": PHONE}).get(f"/r/{code}/").status_code == 302

    block_shares([link.pk], reason="Posted in a coupon spam group")

    followed = Client(headers={"User-Agent": PHONE}).get(f"/r/{code}/")
    again = post_json(client, "/api/v1/account/shares", {"page_id": guide.pk})
    assert followed.status_code == 404
    assert (again.status_code, again.json()["code"], again.json()["field"]) == (403, "share_blocked", "target")
    assert TrackedLink.objects.count() == 1


def test_the_database_keeps_a_blocked_link_inactive(guide):
    link = share_of(guide, "ada@example.com")
    block_shares([link.pk], reason="Self-dealing")

    with pytest.raises(IntegrityError), transaction.atomic():
        TrackedLink.objects.filter(pk=link.pk).update(active=True)

    assert TrackedLink.objects.filter(pk=link.pk, active=False, blocked_at__isnull=False).count() == 1


def test_the_creator_cannot_re_tick_active_on_a_blocked_share_in_tracked_links(client, guide):
    link = share_of(guide, "ada@example.com")
    block_shares([link.pk], reason="Coupon spam")
    client.force_login(link.creator.user)
    edit = f"/admin/snippets/creators/trackedlink/edit/{link.pk}/"

    page = client.get(edit)
    saved = client.post(edit, {"target_kind": "page", "product": "", "page": guide.pk, "block": "",
                               "label": "Renamed", "code": link.code, "active": "on"})

    assert page.status_code == 200
    assert "Blocked by staff: this reader&#x27;s share stays inactive." in page.content.decode()
    assert saved.status_code == 302
    link.refresh_from_db()
    assert (link.label, link.active) == ("Renamed", False)
    assert Client(headers={"User-Agent": PHONE}).get(f"/r/{link.code}/").status_code == 404


def test_the_link_form_refuses_active_on_a_blocked_share_even_if_the_box_is_enabled(guide):
    link = share_of(guide, "ada@example.com")
    block_shares([link.pk], reason="Coupon spam")
    link.refresh_from_db()
    form_class = TrackedLinkViewSet.edit_handler.bind_to_model(TrackedLink).get_form_class()
    form = form_class({"target_kind": "page", "page": guide.pk, "code": link.code, "active": "on", "label": ""},
                      instance=link, for_user=link.creator.user)
    form.fields["active"].disabled = False  # a form that forgot to disable the box still refuses

    assert form.is_valid() is False
    assert form.errors["active"] == ["Blocked by staff: this reader's share stays inactive."]


def test_a_link_inactive_before_its_block_is_marked_blocked(guide):
    link = share_of(guide, "ada@example.com")
    TrackedLink.objects.filter(pk=link.pk).update(active=False)  # the creator switched it off first

    block_shares([link.pk], reason="Spam")

    link.refresh_from_db()
    assert (link.active, link.blocked_at is not None) == (False, True)


def test_a_blocked_link_earns_nothing_and_is_not_handed_back(guide, lamp):
    link = share_of(guide, "ada@example.com")
    block_shares([link.pk], reason="Self-dealing")

    with pytest.raises(PermissionDenied):
        share(Reader.objects.get(pk=link.sharer_id), page_id=guide.pk)
    order = buy_through(link, lamp, email="friend@example.com")

    assert RewardEntry.objects.count() == 0
    refusal = RewardRefusal.objects.get()
    assert (refusal.order_id, refusal.link_id, refusal.reason) == (order.pk, link.pk, RefusalReason.LINK_BLOCKED)


def test_a_block_needs_a_reason_and_keeps_the_first_record(guide):
    link = share_of(guide, "ada@example.com")

    with pytest.raises(InvalidInput) as refused:
        block_shares([link.pk], reason="  ")
    first = block_shares([link.pk], reason="Spam")
    second = block_shares([link.pk], reason="Spam again")

    assert refused.value.code == "reason_required"
    assert (len(first), len(second)) == (1, 0)
    assert list(ShareBlock.objects.values_list("link_id", "reason")) == [(link.pk, "Spam")]
    assert TrackedLink.objects.get(pk=link.pk).active is False


def test_editors_block_several_links_at_once_with_the_reason_recorded(client, guide):
    ada, bob, cy = (share_of(guide, f"{name}@example.com") for name in ("ada", "bob", "cy"))
    editor = make_editor("editor")
    client.force_login(editor)

    form = client.get(f"/admin/readers/share-links/block/?id={bob.pk}")
    done = client.post("/admin/readers/share-links/block/", {"id": [ada.pk, bob.pk], "reason": "Coupon site"})

    html = form.content.decode()
    assert form.status_code == 200
    assert f'value="{bob.pk}" id="link-{bob.pk}" checked' in html and f'value="{ada.pk}" id="link-{ada.pk}">' in html
    assert done.status_code == 302
    blocks = ShareBlock.objects.order_by("link_id")
    assert [(b.link_id, b.reason, b.blocked_by_id) for b in blocks] == [
        (ada.pk, "Coupon site", editor.pk), (bob.pk, "Coupon site", editor.pk)]
    assert set(TrackedLink.objects.filter(active=True).values_list("pk", flat=True)) == {cy.pk}
    listed = client.get("/admin/readers/shareblock/").content.decode()
    assert "Coupon site" in listed


def test_the_block_form_refuses_creators_and_a_missing_reason_blocks_nothing(client, guide):
    link = share_of(guide, "ada@example.com")
    client.force_login(make_creator("rival").user)
    refused = client.post("/admin/readers/share-links/block/", {"id": [link.pk], "reason": "x"})
    client.force_login(make_editor("editor"))
    no_reason = client.post("/admin/readers/share-links/block/", {"id": [link.pk], "reason": ""})

    assert refused.status_code in (302, 403)
    assert no_reason.status_code == 200
    assert ShareBlock.objects.count() == 0 and TrackedLink.objects.get().active is True
