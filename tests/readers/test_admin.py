"""Staff read share links, rewards and refused rewards in the Wagtail admin; nobody edits them there."""

from decimal import Decimal

import pytest
from django.utils import timezone

from readers.models import RewardEntry
from tests.factories import make_creator, make_editor, make_guide
from tests.readers.reward_helpers import share_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def reward(site_tree):
    link = share_of(make_guide(make_creator("maya"), title="Desk lamps"), "ada@example.com")
    return RewardEntry.objects.create(reader_id=link.sharer_id, kind="accrual", amount=Decimal("12.34"), currency="USD",
                                      order_id=77, link_id=link.pk, source_ref="paid", effective_at=timezone.now())


@pytest.mark.parametrize("path", ["/admin/readers/sharelink/", "/admin/readers/rewardentry/",
                                  "/admin/readers/rewardrefusal/"])
def test_editors_see_the_lists_and_creators_do_not(client, reward, path):
    client.force_login(make_editor("editor"))
    seen = client.get(path)
    client.force_login(make_creator("rival").user)
    refused = client.get(path)

    assert seen.status_code == 200
    assert refused.status_code in (302, 403)


def test_a_reward_is_listed_and_inspected_but_not_editable(client, reward):
    client.force_login(make_editor("editor"))

    listed = client.get("/admin/readers/rewardentry/").content.decode()
    inspected = client.get(f"/admin/readers/rewardentry/inspect/{reward.pk}/")
    edit = client.get(f"/admin/readers/rewardentry/edit/{reward.pk}/")

    assert "12.34" in listed
    assert inspected.status_code == 200 and "12.34" in inspected.content.decode()
    assert edit.status_code in (302, 403)
