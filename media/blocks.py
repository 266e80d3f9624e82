"""A StreamField block that embeds a creator's video; every video of a page loads in one go."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from wagtail.images import get_image_model
from wagtail.snippets.blocks import SnippetChooserBlock

from media.models import Video, VideoStatus
from media.services.playback import playable_url

# The serializer context key holding the user id of the page's creator: only their own unpublished
# videos get a signed URL (see ``playable_url``). Set by the content API's body field.
VIDEO_OWNER_CONTEXT_KEY = "kolshop_video_owner_id"

# Poster sizes the API returns (16:9); their renditions are prefetched with the videos.
POSTER_RENDITIONS = {"small": "fill-480x270", "large": "fill-1280x720"}


def videos_with_posters():
    """Videos with their poster image and its poster renditions: two queries for any number of videos."""
    posters = get_image_model().objects.prefetch_renditions(*POSTER_RENDITIONS.values())
    return Video.objects.prefetch_related(Prefetch("poster", queryset=posters))


def poster_representation(video: Video) -> dict | None:
    image = video.poster
    if image is None:
        return None
    renditions = {}
    for name, spec in POSTER_RENDITIONS.items():
        rendition = image.get_rendition(spec)
        renditions[name] = {"url": rendition.url, "width": rendition.width, "height": rendition.height}
    return {"id": image.pk, "alt": image.default_alt_text, "renditions": renditions}


def video_representation(video: Video, *, private_for_owner_id: int | None) -> dict:
    """{id, title, duration, poster, url, url_expires_at}: what a player needs, with no further query."""
    playable = playable_url(video, private_for_owner_id=private_for_owner_id)
    return {
        "id": video.pk,
        "title": video.title,
        "duration": video.duration_seconds,
        "poster": poster_representation(video),
        "url": playable.url if playable else None,
        "url_expires_at": playable.expires_at.isoformat() if playable and playable.expires_at else None,
    }


class VideoChooserBlock(SnippetChooserBlock):
    """Chooses an uploaded video (the chooser lists only the editor's own, see wagtail_hooks)."""

    def __init__(self, **kwargs):
        super().__init__(Video, **kwargs)

    def bulk_to_python(self, values):
        values = list(values)
        found = videos_with_posters().in_bulk([value for value in values if value is not None])
        return [found.get(value) if value is not None else None for value in values]

    def clean(self, value):
        value = super().clean(value)
        if value is not None and value.status == VideoStatus.PENDING:
            raise ValidationError(
                _("“%(title)s” has not finished uploading; confirm the upload first.") % {"title": value.title}
            )
        return value

    def get_api_representation(self, value, context=None):
        if value is None:
            return None
        return video_representation(value, private_for_owner_id=(context or {}).get(VIDEO_OWNER_CONTEXT_KEY))

    class Meta:
        icon = "media"
