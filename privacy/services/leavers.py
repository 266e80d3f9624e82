"""Creators, brand users and staff who leave: their account and public profile are anonymised the way a
buyer's orders are (names, contact details and free text blanked, ids kept), while every ledger,
payout and commission row stays exactly as it was (trade and tax records).

Pages they wrote stay published and unchanged in text: the byline (name, handle, bio, avatar) comes from
the profile, which is anonymised. What named them is replaced: their storefront's title, address
(slug) and tagline, those values in its revisions and in the log entries of their pages, the url paths
stored in their pages' revisions, and the names of their own group and collection. Revisions, log
entries and pages keep pointing at the (anonymised) user row, so history stays whole.
"""

from datetime import datetime

import structlog
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from wagtail.contrib.redirects.models import Redirect
from wagtail.images import get_image_model
from wagtail.images.models import AbstractRendition
from wagtail.models import (
    Collection, GroupCollectionPermission, ModelLogEntry, Page, PageLogEntry, ReferenceIndex, Revision,
)

from content.services.page_cache import forget_all_pages
from creators.models import CreatorPage, CreatorProfile, CreatorSocialLink, TrackedLink
from creators.services.links import new_link_code
from creators.services.onboarding import creator_group_name
from shop.models import BrandMembership

log = structlog.get_logger(__name__)

# The storefront's fields that name or describe its creator, blanked unless set below.
_STOREFRONT_TEXT_FIELDS = ("tagline", "seo_title", "search_description")


@transaction.atomic
def anonymise_leaver(user: AbstractBaseUser, *, now: datetime | None = None) -> bool:
    """Close ``user``'s account and blank what identifies them; False when already done (idempotent)."""
    now = now or timezone.now()
    former = f"former-{user.pk}"
    if user.get_username() == former and not user.is_active:
        return False
    user.username, user.email, user.first_name, user.last_name = former, "", "", ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    _relabel_log_entries(user)
    BrandMembership.objects.filter(user=user).delete()
    profile = CreatorProfile.objects.filter(user=user).first()
    if profile is not None:
        _anonymise_creator(profile)
    user.groups.clear()
    if hasattr(user, "wagtail_userprofile"):
        user.wagtail_userprofile.avatar = None
        user.wagtail_userprofile.save(update_fields=["avatar"])
    log.info("leaver anonymised", user_id=user.pk, creator=profile is not None)
    return True


def _anonymise_creator(profile: CreatorProfile) -> None:
    old_handle = profile.handle
    replacements = {profile.display_name: f"Former creator {profile.pk}", old_handle: f"former-{profile.pk}"}
    CreatorSocialLink.objects.filter(creator=profile).delete()
    avatar_id = profile.avatar_id
    profile.display_name, profile.handle = replacements[profile.display_name], replacements[old_handle]
    profile.bio, profile.avatar = "", None
    profile.save()  # re-indexes the profile and forgets the cached pages showing its byline
    _relabel_log_entries(profile)
    if avatar_id is not None:
        if ReferenceIndex.is_indexed(CreatorProfile):  # in production the index catches up in a task, later
            ReferenceIndex.create_or_update_for_object(profile)
        _delete_unused_image(avatar_id, uploader_id=profile.user_id)
    _recode_links(profile, old_handle)
    own_group = Group.objects.filter(name=creator_group_name(old_handle)).first()
    if own_group is not None:
        own_group.name = creator_group_name(profile.handle)
        own_group.save(update_fields=["name"])
        owned = GroupCollectionPermission.objects.filter(group=own_group).values("collection_id")
        Collection.objects.filter(pk__in=owned).update(name=creator_group_name(profile.handle))
    storefront = CreatorPage.objects.filter(creator=profile).first()
    if storefront is not None:
        _anonymise_storefront(storefront, profile=profile, replacements=replacements)


def _anonymise_storefront(storefront: CreatorPage, *, profile: CreatorProfile, replacements: dict[str, str]) -> None:
    """Rename the storefront after the anonymised profile; its pages move with it and stay published."""
    old = {"title": storefront.title, "draft_title": storefront.draft_title, "slug": storefront.slug,
           **{name: getattr(storefront, name) for name in _STOREFRONT_TEXT_FIELDS}}
    new = {"title": profile.display_name, "draft_title": profile.display_name, "slug": profile.handle,
           **{name: "" for name in _STOREFRONT_TEXT_FIELDS}}
    replacements = {**replacements, **{old[name]: new[name] for name in old if old[name]}}
    old_url_path = storefront.url_path
    for name, value in new.items():
        setattr(storefront, name, value)
    storefront.save()  # Wagtail moves its pages' url paths along with the slug
    storefront.refresh_from_db(fields=["url_path"])
    pages = Page.objects.filter(path__startswith=storefront.path)
    page_ids = [str(pk) for pk in pages.values_list("pk", flat=True)]
    revisions = Revision.objects.filter(object_id__in=page_ids, base_content_type=ContentType.objects.get_for_model(Page))
    for revision in revisions.iterator():
        content = _replaced(revision.content, replacements, url_paths=(old_url_path, storefront.url_path))
        if revision.object_id == str(storefront.pk):
            content.update(new)
        Revision.objects.filter(pk=revision.pk).update(content=content, object_str=_replaced(
            revision.object_str, replacements, url_paths=None))
    for entry in PageLogEntry.objects.filter(page_id__in=[int(pk) for pk in page_ids]).iterator():
        PageLogEntry.objects.filter(pk=entry.pk).update(
            label=_replaced(entry.label, replacements, url_paths=None),
            data=_replaced(entry.data, replacements, url_paths=(old_url_path, storefront.url_path)))
    transaction.on_commit(forget_all_pages)  # every page below the storefront has a new address

    def forget_old_addresses() -> None:
        """Wagtail's redirects app keeps the old addresses (the handle in them) after it: no way back to them."""
        Redirect.objects.filter(redirect_page__path__startswith=storefront.path,
                                old_path__contains=f"/{old['slug']}").delete()

    transaction.on_commit(forget_old_addresses)  # registered after Wagtail's, so it runs after them


def _delete_unused_image(image_id: int, *, uploader_id: int) -> None:
    """The leaver's avatar leaves the image library too if the leaver uploaded it and nothing else still shows
    it: a page, snippet or block (Wagtail's reference index, what the image's "Usage" tab lists) or any row
    pointing at it (a product image, another profile). Its file goes with it after the commit (Wagtail's
    post_delete handler). An image someone else uploaded (staff can pick any library image as an avatar) is
    never deleted: the reference index may lag behind (a task in production) for pages using it elsewhere."""
    image = get_image_model().objects.filter(pk=image_id, uploaded_by_user_id=uploader_id).first()
    if image is None or ReferenceIndex.get_references_to(image).exists():
        return
    for relation in image._meta.related_objects:  # Django's public model API: every foreign key to images
        if issubclass(relation.related_model, AbstractRendition) or not relation.field.concrete:
            continue  # renditions belong to the image and go with it
        if relation.related_model._base_manager.filter(**{relation.field.name: image}).exists():
            return
    image.delete()


def _recode_links(profile: CreatorProfile, old_handle: str) -> None:
    """The creator's own tracked links (not readers' shares of their pages) whose code holds the old handle
    (``/r/<handle>-boots/``) get a random code: the address no longer names the leaver (the old one stops
    leading anywhere; each save forgets its cached route)."""
    for link in TrackedLink.objects.filter(creator=profile, sharer_id__isnull=True, code__icontains=old_handle):
        link.code = new_link_code()
        link.save(update_fields=["code"])


def _relabel_log_entries(instance) -> None:
    """Wagtail's model log entries of ``instance`` keep its label from the time; give them the new one."""
    ModelLogEntry.objects.filter(content_type=ContentType.objects.get_for_model(instance),
                                 object_id=str(instance.pk)).update(label=str(instance)[:255])


def _replaced(value, replacements: dict[str, str], *, url_paths: tuple[str, str] | None):
    """``value`` (a revision's or log entry's JSON) with every string equal to a replaced one swapped, and
    url paths under the old storefront path moved under the new one."""
    if isinstance(value, dict):
        return {key: _replaced(item, replacements, url_paths=url_paths) for key, item in value.items()}
    if isinstance(value, list):
        return [_replaced(item, replacements, url_paths=url_paths) for item in value]
    if isinstance(value, str):
        if value in replacements:
            return replacements[value]
        if url_paths is not None and value.startswith(url_paths[0]):
            return url_paths[1] + value[len(url_paths[0]):]
    return value


def may_anonymise(actor: AbstractBaseUser, user: AbstractBaseUser) -> bool:
    """Who may close whose account (the admin's button and confirmation both ask this): holders of
    ``privacy.anonymise_leaver``, never their own account, and a superuser's only when they are one."""
    return (actor.is_active and actor.has_perm("privacy.anonymise_leaver") and actor.pk != user.pk
            and (actor.is_superuser or not user.is_superuser))
