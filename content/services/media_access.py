"""Which images, documents and videos a page may show, and whose private videos it may play.

One rule, used by page validation, publishing, the content API and templates:

- Videos: a page shows its creator's own videos, or published (public) ones. An unpublished video
  of another owner is refused by the page form (save, submit, publish, preview), is never made
  public when the page is published and never gets a signed URL on the page or its preview. The
  model does not enforce it: Wagtail re-validates on publishing an approved revision, and a video
  its owner unpublished after another page embedded it must not make that approval fail. The rule follows the page's creator, not the
  editing user, so an editor approving a creator's page cannot leak a third creator's file.
- Images and documents: the editing user must be allowed to choose each one they add (Wagtail's
  collection permissions: a creator chooses from their own collection, staff from all). References
  the page already had are kept, so a creator can edit a page an editor set up with a catalog image.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Mapping

from django.contrib.auth.models import AbstractBaseUser
from django.db import models
from django.utils.translation import gettext as _
from wagtail.documents import get_document_model
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.permissions import policy_registry

from media.models import Video, VideoStatus
from media.services.publishing import publish_videos_on_commit


@dataclass(frozen=True)
class MediaReference:
    field: str  # the form/model field holding it: "replay", "hero_image", "body"
    label: str  # where an editor finds it: "replay", "body block 3 (shop_the_look.image)"
    model: type[models.Model]
    object_id: int


def video_owner_id(page: models.Model) -> int | None:
    """The user id whose private videos ``page`` may show: its creator's (None without a creator)."""
    if getattr(page, "creator_id", None) is None:
        return None
    return page.creator.user_id


def media_references(page: models.Model, *, values: Mapping[str, Any] | None = None) -> list[MediaReference]:
    """Every image, document and video ``page`` points at, by foreign key or in a StreamField at any
    depth. ``values`` (a form's cleaned_data) stands in for the page's own field values."""
    media_models = (get_image_model(), get_document_model(), Video)
    references = []
    for field in page._meta.concrete_fields:
        has_value = values is not None and field.name in values
        if isinstance(field, StreamField):
            stream = values[field.name] if has_value else field.value_from_object(page)
            references += _stream_references(field, stream, media_models)
        elif isinstance(field, models.ForeignKey) and issubclass(field.related_model, media_models):
            value = values[field.name] if has_value else getattr(page, field.attname)
            object_id = value.pk if isinstance(value, models.Model) else value
            if object_id is not None:
                model = next(m for m in media_models if issubclass(field.related_model, m))
                references.append(MediaReference(field.name, field.name, model, int(object_id)))
    return references


def _stream_references(field: StreamField, stream, media_models) -> list[MediaReference]:
    references = []
    for number, child in enumerate(stream or [], start=1):
        for model, object_id, model_path, _content_path in child.block.extract_references(child.value):
            media_model = next((m for m in media_models if issubclass(model, m)), None)
            if media_model is None:
                continue
            path = f"{child.block_type}.{model_path}" if model_path else child.block_type
            label = _("%(field)s block %(number)s (%(path)s)") % {"field": field.name, "number": number, "path": path}
            references.append(MediaReference(field.name, label, media_model, int(object_id)))
    return references


def page_media_errors(
    page: models.Model,
    *,
    user: AbstractBaseUser,
    values: Mapping[str, Any],
    previous: models.Model | None,
    owner_id: int | None,
) -> dict[str, list[str]]:
    """Every media error of the page as edited (``values``), keyed by field: what the page form shows."""
    errors: dict[str, list[str]] = defaultdict(list)
    for found in (
        video_errors(page, values=values, owner_id=owner_id),
        chosen_media_errors(page, user=user, values=values, previous=previous),
    ):
        for field, messages in found.items():
            errors[field] += messages
    return dict(errors)


def video_errors(
    page: models.Model, *, owner_id: int | None, values: Mapping[str, Any] | None = None
) -> dict[str, list[str]]:
    """Errors for unpublished videos of anyone but ``owner_id`` (the page creator's user id), by field."""
    references = [reference for reference in media_references(page, values=values) if reference.model is Video]
    if not references:
        return {}
    videos = Video.objects.only("pk", "title", "owner_id", "status").in_bulk(
        {reference.object_id for reference in references}
    )
    errors: dict[str, list[str]] = defaultdict(list)
    for reference in references:
        video = videos.get(reference.object_id)
        if video is None or video.status == VideoStatus.PUBLISHED or video.owner_id == owner_id:
            continue
        errors[reference.field].append(
            _("%(where)s: “%(title)s” is another creator's unpublished video; choose one of your own.")
            % {"where": reference.label, "title": video.title}
        )
    return dict(errors)


def chosen_media_errors(
    page: models.Model, *, user: AbstractBaseUser, values: Mapping[str, Any], previous: models.Model | None
) -> dict[str, list[str]]:
    """Errors for images and documents in ``values`` that ``user`` may not choose, keyed by field.

    References ``previous`` (the page as last saved) already had are left alone.
    """
    kept = {(r.model, r.object_id) for r in media_references(previous)} if previous is not None else set()
    added = [
        reference
        for reference in media_references(page, values=values)
        if reference.model is not Video and (reference.model, reference.object_id) not in kept
    ]
    errors: dict[str, list[str]] = defaultdict(list)
    for model in (get_image_model(), get_document_model()):
        wanted = {reference.object_id for reference in added if reference.model is model}
        if not wanted:
            continue
        allowed = set(
            policy_registry.get_by_type(model).instances_user_has_permission_for(user, "choose").filter(pk__in=wanted).values_list("pk", flat=True)
        )
        for reference in added:
            if reference.model is model and reference.object_id not in allowed:
                errors[reference.field].append(
                    _("%(where)s: you may not use this %(kind)s (id %(id)s); choose one from your own collection.")
                    % {"where": reference.label, "kind": model._meta.verbose_name, "id": reference.object_id}
                )
    return dict(errors)


def publish_creator_videos_on_commit(page: models.Model) -> None:
    """After a page is published, its creator's own embedded videos become public (never others')."""
    publish_videos_on_commit(page, owner_id=video_owner_id(page))
