"""Videos in the Wagtail admin: each creator sees, edits and chooses only their own.

Adding a video is the upload page (the file goes from the browser to S3 through presigned
requests the commerce API signs); editing changes title, duration and poster only.
"""

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.snippets.views.chooser import SnippetCreateView

from media.models import Video, VideoStatus
from media.permissions import can_upload_videos
from shop.admin_helpers import (
    ScopedChosenMultipleView,
    ScopedChosenView,
    ScopedSnippetChooserViewSet,
    ScopedSnippetViewSet,
    scoped_choose_views,
)


class VideoUploadView(WagtailAdminTemplateMixin, TemplateView):
    """The browser-side uploader (vendored JS, no CDN): start, send to S3, confirm, then edit."""

    template_name = "kolshop_media/video_upload.html"
    page_title = _("Upload a video")
    header_icon = "media"
    index_url_name = None
    edit_url_name = None

    def dispatch(self, request, *args, **kwargs):
        if not can_upload_videos(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": Video._meta.verbose_name_plural.title()},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        from django.conf import settings

        start_url = reverse("commerce-api:media_video_upload_start")
        return super().get_context_data(
            start_url=start_url,
            videos_url=start_url.rsplit("uploads", 1)[0],
            edit_url_template=reverse(self.edit_url_name, args=[0]).replace("/0/", "/{id}/"),
            accept=",".join(settings.KOLSHOP_VIDEO_CONTENT_TYPES),
            max_bytes=settings.KOLSHOP_VIDEO_MAX_BYTES,
            **kwargs,
        )


class VideoChooseViewMixin:
    """Only the user's own videos (the policy's ``choose`` rows) that finished uploading."""

    per_page = 20

    def get_object_list(self):
        return (
            super()
            .get_object_list()
            .exclude(status=VideoStatus.PENDING)
            .select_related("poster")
            .order_by("-created_at", "-pk")
        )

    @property
    def columns(self):
        return super().columns + [
            Column("status", label=_("Status"), accessor="get_status_display"),
            Column("duration", label=_("Duration (s)"), accessor="duration_seconds"),
        ]


class VideoChosenView(ScopedChosenView):
    def get_object(self, pk):
        video = super().get_object(pk)
        if video.status == VideoStatus.PENDING:
            raise Video.DoesNotExist
        return video


class VideoChosenMultipleView(ScopedChosenMultipleView):
    def get_objects(self, pks):
        return super().get_objects(pks).exclude(status=VideoStatus.PENDING)


class VideoChooserCreateView(SnippetCreateView):
    """Videos come from the upload page (browser to S3), never from the chooser's form."""

    def post(self, request, *args, **kwargs):
        raise PermissionDenied


class VideoChooserViewSet(ScopedSnippetChooserViewSet):
    choose_view_class, choose_results_view_class = scoped_choose_views(VideoChooseViewMixin)
    chosen_view_class = VideoChosenView
    chosen_multiple_view_class = VideoChosenMultipleView
    create_view_class = VideoChooserCreateView


class VideoViewSet(ScopedSnippetViewSet):
    model = Video
    icon = "media"
    menu_label = _("Videos")
    menu_name = "videos"
    add_to_admin_menu = True
    menu_order = 250
    list_display = ["title", "status", "duration_seconds", "owner", "created_at"]
    list_filter = ["status"]
    chooser_viewset_class = VideoChooserViewSet
    copy_view_enabled = False  # a copy would point at the same S3 object

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner")

    @property
    def add_view(self):
        return VideoUploadView.as_view(
            index_url_name=self.get_url_name("list"), edit_url_name=self.get_url_name("edit")
        )
