"""Creator videos (live sessions and replays), stored as S3 objects uploaded from the browser."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.search import index


class VideoStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for upload")
    UPLOADED = "uploaded", _("Uploaded")
    PUBLISHED = "published", _("Published")


class Video(index.Indexed, models.Model):
    """One video object in the bucket; the file never passes through Django.

    ``size_bytes`` and ``content_type`` are what the creator declared when the upload started;
    confirmation checks S3 holds exactly that. ``multipart_upload_id`` is set while a multipart
    upload is open.
    """

    title = models.CharField(max_length=255)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos")
    object_key = models.CharField(max_length=512, unique=True, editable=False)
    content_type = models.CharField(max_length=100, editable=False)
    size_bytes = models.PositiveBigIntegerField(editable=False)
    duration_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Length of the video in seconds.")
    )
    poster = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=VideoStatus, default=VideoStatus.PENDING, editable=False)
    multipart_upload_id = models.CharField(max_length=255, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    uploaded_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    panels = [FieldPanel("title"), FieldPanel("duration_seconds"), FieldPanel("poster")]
    search_fields = [
        index.SearchField("title"), index.AutocompleteField("title"), index.FilterField("owner"), index.FilterField("status"),
    ]

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("manage_any_video", "Can see and manage every creator's videos")]
        indexes = [models.Index(fields=["owner", "status"], name="video_owner_status")]
        constraints = [
            models.CheckConstraint(condition=Q(size_bytes__gt=0), name="video_size_positive"),
            models.CheckConstraint(
                condition=Q(status__in=[choice.value for choice in VideoStatus]), name="video_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(uploaded_at__isnull=False), name="video_uploaded_has_timestamp"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_playable(self) -> bool:
        return self.status != VideoStatus.PENDING
