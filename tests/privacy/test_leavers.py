"""A leaver is anonymised from the admin (Settings → Users → Anonymise leaver, then a confirmation) by a
Privacy officer or a superuser only; their pages stay published and no column names them any more."""

import pytest
from django.contrib.auth.models import Group

from creators.models import CreatorPage, CreatorProfile, CreatorSocialLink
from privacy.roles import PRIVACY_OFFICERS_GROUP_NAME
from shop.services.brand_access import BRANDS_GROUP_NAME
from tests.factories import block, make_brand_user, make_creator, make_guide, make_user, storefront_of
from tests.privacy.helpers import scan_for

pytestmark = pytest.mark.django_db

TRACES = {"handle": "zquixote", "first name": "Zelda", "last name": "Marshwiggle", "bio": "Knits storm tents",
          "tagline": "Tents by the grey sea", "social": "instagram.com/zq-tents"}


def officer(username: str = "officer"):
    """A member of the Privacy officers group that migrate created (staff add people to it)."""
    user = make_user(username)
    user.groups.add(Group.objects.get(name=PRIVACY_OFFICERS_GROUP_NAME))
    return user


def leaving_creator():
    """Zelda: a profile with a bio and social link, a storefront tagline published and a newer draft of it,
    a published guide with a later draft (their ledger staying: tests/privacy/test_retention.py)."""
    creator = make_creator(TRACES["handle"])
    user = creator.user
    user.first_name, user.last_name = TRACES["first name"], TRACES["last name"]
    user.save()
    CreatorProfile.objects.filter(pk=creator.pk).update(bio=TRACES["bio"])
    CreatorSocialLink.objects.create(creator=creator, platform="instagram", url=f"https://{TRACES['social']}")
    storefront = storefront_of(creator)
    storefront.tagline = TRACES["tagline"]
    storefront.save_revision(user=user, log_action=True).publish()  # an editor approved it
    storefront.refresh_from_db()
    storefront.seo_title = f"{creator.display_name}'s tents"
    storefront.save_revision(user=user, log_action=True)
    guide = make_guide(creator, title="Storm tents compared", slug="storm-tents",
                       body=[block("paragraph", "<p>Three tents survived the gale.</p>", "para-1")])
    guide.title = "Storm tents compared (2026)"
    guide.save_revision(user=user, log_action=True)
    creator.refresh_from_db()
    return creator, guide


def test_migrate_creates_the_privacy_officers_group_with_its_permissions():
    group = Group.objects.get(name=PRIVACY_OFFICERS_GROUP_NAME)

    assert sorted(group.permissions.values_list("content_type__app_label", "codename")) == [
        ("auth", "view_user"), ("privacy", "add_datasubjectrequest"), ("privacy", "anonymise_leaver"),
        ("privacy", "change_datasubjectrequest"), ("privacy", "view_datasubjectrequest"),
        ("wagtailadmin", "access_admin")]


def test_a_privacy_officer_reaches_data_requests_and_a_creator_or_brand_user_does_not(client):
    creator, brand_user = make_creator("nosy").user, make_brand_user("nosy-brand")
    statuses = {}
    for name, user in [("officer", officer()), ("creator", creator), ("brand", brand_user)]:
        client.force_login(user)
        statuses[name] = [client.get(path).status_code for path in
                          ("/admin/", "/admin/privacy/requests/", "/admin/privacy/requests/new/", "/admin/users/")]

    assert statuses == {"officer": [200, 200, 200, 200], "creator": [200, 302, 302, 302],
                        "brand": [200, 302, 302, 302]}


def test_an_officer_confirms_and_the_leaver_is_anonymised(client):
    creator, _ = leaving_creator()
    client.force_login(officer())

    listing = client.get("/admin/users/").content.decode()
    asked = client.get(f"/admin/privacy/leavers/{creator.user_id}/anonymise/")
    unchanged = CreatorProfile.objects.get(pk=creator.pk).display_name
    done = client.post(f"/admin/privacy/leavers/{creator.user_id}/anonymise/")

    profile = CreatorProfile.objects.select_related("user").get(pk=creator.pk)
    assert f"/admin/privacy/leavers/{creator.user_id}/anonymise/" in listing
    assert (asked.status_code, "Yes, anonymise" in asked.content.decode(), unchanged) == (200, True, "Zquixote")
    assert (done.status_code, done["Location"]) == (302, "/admin/users/")
    assert (profile.display_name, profile.user.username, profile.user.is_active, profile.user.groups.count()) == (
        f"Former creator {creator.pk}", f"former-{creator.user_id}", False, 0)


def test_a_leavers_pages_stay_published_and_no_column_names_them(client):
    creator, guide = leaving_creator()
    body = list(guide.body.raw_data)
    client.force_login(officer())
    assert {name: hits for name, hits in scan_for(TRACES).items() if hits}  # the traces are there to find

    client.post(f"/admin/privacy/leavers/{creator.user_id}/anonymise/")

    guide.refresh_from_db()
    storefront = CreatorPage.objects.get(creator=creator)
    page = client.get(guide.url)
    assert {name: hits for name, hits in scan_for(TRACES).items() if hits} == {}
    assert (storefront.title, storefront.slug, storefront.tagline, storefront.live) == (
        f"Former creator {creator.pk}", f"former-{creator.pk}", "", True)
    assert (guide.live, guide.title, list(guide.body.raw_data), guide.url_path) == (
        True, "Storm tents compared", body, f"{storefront.url_path}storm-tents/")
    assert (page.status_code, "Three tents survived the gale." in page.content.decode()) == (200, True)
    assert guide.get_latest_revision().content["url_path"] == guide.url_path


@pytest.mark.parametrize("role", ["creator", "brand", "editor"])
def test_only_privacy_officers_and_superusers_may_anonymise(client, role):
    target, _ = leaving_creator()
    actor = make_creator("other").user if role == "creator" else make_user(f"{role}-user")
    if role != "creator":
        actor.groups.add(Group.objects.get(name={"brand": BRANDS_GROUP_NAME, "editor": "Editors"}[role]))
    client.force_login(actor)

    responses = [client.get(f"/admin/privacy/leavers/{target.user_id}/anonymise/"),
                 client.post(f"/admin/privacy/leavers/{target.user_id}/anonymise/")]

    assert [response.status_code for response in responses] == [302, 302]
    assert CreatorProfile.objects.get(pk=target.pk).display_name == "Zquixote"


def test_an_officer_may_not_anonymise_a_superuser_or_themselves(client, admin_user):
    me = officer()
    client.force_login(me)

    responses = [client.post(f"/admin/privacy/leavers/{admin_user.pk}/anonymise/"),
                 client.post(f"/admin/privacy/leavers/{me.pk}/anonymise/")]

    admin_user.refresh_from_db()
    me.refresh_from_db()
    assert [response.status_code for response in responses] == [302, 302]
    assert (admin_user.is_active, me.is_active) == (True, True)


def test_a_superuser_anonymises_a_brand_user(admin_client):
    brand_user = make_brand_user("leaving-brand")

    response = admin_client.post(f"/admin/privacy/leavers/{brand_user.pk}/anonymise/")

    brand_user.refresh_from_db()
    assert (response.status_code, brand_user.username, brand_user.groups.count()) == (
        302, f"former-{brand_user.pk}", 0)


def test_no_redirect_keeps_a_leavers_old_address(client, django_capture_on_commit_callbacks):
    from wagtail.contrib.redirects.models import Redirect

    creator, guide = leaving_creator()
    client.force_login(officer())

    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/privacy/leavers/{creator.user_id}/anonymise/")

    assert list(Redirect.objects.filter(old_path__contains=TRACES["handle"]).values_list("old_path", flat=True)) == []
    assert {name: hits for name, hits in scan_for(TRACES).items() if hits} == {}


def test_a_leavers_avatar_leaves_the_image_library_unless_something_else_shows_it(django_capture_on_commit_callbacks):
    from wagtail.images import get_image_model

    from privacy.services.leavers import anonymise_leaver
    from tests.factories import add_product_image, make_image, make_product

    alone, shared, picked = make_creator("zquixote"), make_creator("yvaine"), make_creator("xena")
    only_theirs, also_a_product_image = make_image("Zelda's face"), make_image("Yvaine's face")
    staffs_image = make_image("A stock photo")  # uploaded by staff, picked as an avatar: not the leaver's
    images = get_image_model().objects
    images.filter(pk=only_theirs.pk).update(uploaded_by_user=alone.user)
    images.filter(pk=also_a_product_image.pk).update(uploaded_by_user=shared.user)
    add_product_image(make_product(title="Tent", variants=[("TENT-9", "90.00", 1)]), also_a_product_image)
    CreatorProfile.objects.filter(pk=alone.pk).update(avatar=only_theirs)
    CreatorProfile.objects.filter(pk=shared.pk).update(avatar=also_a_product_image)
    CreatorProfile.objects.filter(pk=picked.pk).update(avatar=staffs_image)

    with django_capture_on_commit_callbacks(execute=True):
        anonymise_leaver(alone.user)
        anonymise_leaver(shared.user)
        anonymise_leaver(picked.user)

    assert sorted(images.filter(pk__in=[only_theirs.pk, also_a_product_image.pk, staffs_image.pk])
                  .values_list("title", flat=True)) == ["A stock photo", "Yvaine's face"]
    assert CreatorProfile.objects.filter(avatar__isnull=False).count() == 0


def test_a_leavers_link_codes_no_longer_hold_their_handle():
    from creators.models import LinkTarget, TrackedLink
    from creators.services.links import create_tracked_link
    from privacy.services.leavers import anonymise_leaver

    creator = make_creator("zquixote")
    named = create_tracked_link(creator, target_kind=LinkTarget.STOREFRONT, code="ZQuixote-tents")
    plain = create_tracked_link(creator, target_kind=LinkTarget.STOREFRONT, code="tents-2026")

    anonymise_leaver(creator.user)

    named.refresh_from_db()
    plain.refresh_from_db()
    assert "zquixote" not in named.code.lower() and len(named.code) == 8
    assert plain.code == "tents-2026"
    assert not TrackedLink.objects.filter(code__icontains="zquixote").exists()
