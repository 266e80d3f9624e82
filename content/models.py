"""Reader-facing pages: the home page, buying guides and live shopping sessions."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from modelcluster.contrib.taggit import ClusterTaggableManager
from modelcluster.fields import ParentalKey
from taggit.models import TaggedItemBase
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.api import APIField
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.query import PageQuerySet
from wagtail.search import index

from content.api.fields import CreatorSummaryField, ImageRenditionsField, PageVideoField, ShoppableBodyField, TagNamesField
from content.blocks import SHOPPABLE_BLOCK_TYPES, ArticleStreamBlock
from content.forms import ShoppableContentPageForm
from content.live.api import LiveSessionField
from content.services.catalog import prefetch_stream
from creators.models import CreatorProfile
from creators.services.page_visibility import readable_pages
from creators.services.storefronts import creator_above


class HomePage(Page):
    intro = RichTextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["creators.CreatorIndexPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["featured_guides"] = (
            readable_pages(BuyingGuidePage.objects.live(), request)
            .select_related("hero_image")
            .order_by("-first_published_at")[:12]
        )
        now = timezone.now()
        context["upcoming_sessions"] = upcoming_live_sessions(now=now)
        context["recent_sessions"] = recent_live_sessions(now=now)
        context["now"] = now
        return context


class ContentPageTag(TaggedItemBase):
    content_object = ParentalKey("content.ShoppableContentPage", on_delete=models.CASCADE, related_name="tagged_items")


class ShoppableContentPage(Page):
    """What buying guides and live sessions share: a creator, a hero, tags and a shoppable body.

    Multi-table (not abstract) so the API, attribution and reports can query every piece of
    creator content with one model.
    """

    creator = models.ForeignKey(
        CreatorProfile, null=True, blank=True, editable=False, on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(blank=True, max_length=500)
    hero_image = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = StreamField(ArticleStreamBlock(), blank=True)
    tags = ClusterTaggableManager(through=ContentPageTag, blank=True)

    search_fields = Page.search_fields + [index.SearchField("summary"), index.SearchField("body")]
    api_fields = [
        APIField("creator", serializer=CreatorSummaryField()),
        APIField("summary"),
        APIField("hero_image", serializer=ImageRenditionsField()),
        APIField("tags", serializer=TagNamesField()),
        APIField("body", serializer=ShoppableBodyField()),
    ]
    parent_page_types = ["creators.CreatorPage"]
    subpage_types: list[str] = []
    is_creatable = False
    base_form_class = ShoppableContentPageForm

    class Meta:
        verbose_name = _("shoppable content page")

    # Wagtail validates live pages with full_clean() and drafts with minimal_clean(); the page's
    # creator follows from its place in the tree, so both keep it in step.
    def full_clean(self, *args, **kwargs):
        self.creator = self.find_creator()
        super().full_clean(*args, **kwargs)

    def minimal_clean(self):
        self.creator = self.find_creator()
        super().minimal_clean()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        prefetch_stream(self.body)  # one catalog snapshot for every block the template renders
        return context

    def find_creator(self) -> CreatorProfile | None:
        """The creator whose storefront this page sits under (None outside any storefront)."""
        return creator_above(self.get_parent() if self.pk or self.path else None)

    @cached_property
    def shoppable_blocks(self):
        return [block for block in self.body if block.block_type in SHOPPABLE_BLOCK_TYPES]


_content_panels = [
    FieldPanel("title"),
    FieldPanel("summary"),
    FieldPanel("hero_image"),
    FieldPanel("body"),
]


class BuyingGuidePage(ShoppableContentPage):
    content_panels = _content_panels
    promote_panels = Page.promote_panels + [FieldPanel("tags")]
    parent_page_types = ["creators.CreatorPage"]
    subpage_types: list[str] = []
    is_creatable = True

    class Meta:
        verbose_name = _("buying guide")


class LiveSessionPage(ShoppableContentPage):
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    stream_url = models.URLField(blank=True, help_text=_("Where readers watch: HLS, YouTube or platform URL."))
    replay = models.ForeignKey(
        "kolshop_media.Video", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        help_text=_("The recording readers watch after the session."),
    )

    content_panels = _content_panels[:3] + [
        MultiFieldPanel(
            [FieldPanel("starts_at"), FieldPanel("ends_at"), FieldPanel("stream_url"), FieldPanel("replay")],
            heading=_("Schedule and replay"),
        ),
        FieldPanel("body"),
    ]
    promote_panels = Page.promote_panels + [FieldPanel("tags")]
    api_fields = ShoppableContentPage.api_fields + [
        APIField("starts_at"), APIField("ends_at"), APIField("stream_url"),
        APIField("replay", serializer=PageVideoField(attribute="replay")),
        APIField("live", serializer=LiveSessionField()),
    ]
    parent_page_types = ["creators.CreatorPage"]
    subpage_types: list[str] = []
    is_creatable = True

    class Meta:
        verbose_name = _("live session")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="live_session_ends_after_start"),
        ]

    def clean(self):
        super().clean()
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A session must end after it starts.")})


# Which live sessions readers see where (the home page lists both): upcoming (or on air now) and ended
# ones with their replays. Beside the model they query, so the home page needs no import from a service.
def _published_sessions() -> PageQuerySet:
    return LiveSessionPage.objects.live().public()


def upcoming_live_sessions(*, now: datetime | None = None, limit: int = 6) -> list[LiveSessionPage]:
    """Sessions still to come or on air now (not yet ended), soonest first."""
    now = now or timezone.now()
    return list(_published_sessions().filter(ends_at__gt=now).order_by("starts_at", "pk")[:limit])


def recent_live_sessions(*, now: datetime | None = None, limit: int = 6) -> list[LiveSessionPage]:
    """Sessions that have ended, most recently ended first, with their replay video."""
    now = now or timezone.now()
    return list(_published_sessions().filter(ends_at__lte=now).select_related("replay")
                .order_by("-ends_at", "-pk")[:limit])

# Live shopping state (lifecycle, pins, flash deals, chapters) lives beside the page, not in its revisions.
from content.live.models import LiveFlashDeal, LivePin, LiveProducer, LiveSession, LiveStatus, ReplayChapter  # noqa: E402,F401,E501
