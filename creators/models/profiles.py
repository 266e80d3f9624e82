"""Creator profiles and their storefront pages (each creator's content lives under its page)."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page
from wagtail.search import index

from creators.services.page_visibility import readable_pages

handle_validator = RegexValidator(r"^[a-z0-9][a-z0-9_-]{1,39}$", _("2–40 lowercase letters, digits, '-' or '_'."))
stripe_account_validator = RegexValidator(r"^acct_[A-Za-z0-9]{1,59}$", _("A Stripe account id, e.g. acct_1Abc…"))


class SocialPlatform(models.TextChoices):
    INSTAGRAM = "instagram", "Instagram"
    TIKTOK = "tiktok", "TikTok"
    YOUTUBE = "youtube", "YouTube"
    X = "x", "X"
    XIAOHONGSHU = "xiaohongshu", "Xiaohongshu"
    WEIBO = "weibo", "Weibo"
    WEBSITE = "website", _("Website")


class CreatorProfile(index.Indexed, ClusterableModel):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="creator_profile")
    display_name = models.CharField(max_length=120)
    handle = models.CharField(max_length=40, unique=True, validators=[handle_validator])
    avatar = models.ForeignKey(
        "wagtailimages.Image", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    bio = models.TextField(blank=True)
    default_commission_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.1000"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("Share of a line's net amount, e.g. 0.1000 for 10 %."),
    )
    stripe_account_id = models.CharField(
        max_length=64,
        blank=True,
        validators=[stripe_account_validator],
        help_text=_("The creator's connected Stripe account (acct_…); payouts are transferred to it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        FieldPanel("display_name"),
        FieldPanel("handle"),
        FieldPanel("avatar"),
        FieldPanel("bio"),
        FieldPanel("default_commission_rate"),
        FieldPanel("stripe_account_id"),
        InlinePanel("social_links", label=_("Social links")),
    ]
    search_fields = [index.SearchField("display_name"), index.AutocompleteField("handle")]

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_commission_rate__gte=0) & Q(default_commission_rate__lte=1),
                name="creator_commission_rate_between_0_and_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} (@{self.handle})"


class CreatorSocialLink(Orderable):
    creator = ParentalKey(CreatorProfile, on_delete=models.CASCADE, related_name="social_links")
    platform = models.CharField(max_length=20, choices=SocialPlatform)
    url = models.URLField()

    panels = [FieldPanel("platform"), FieldPanel("url")]

    def __str__(self) -> str:
        return f"{self.get_platform_display()}: {self.url}"


class CreatorIndexPage(Page):
    intro = RichTextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    parent_page_types = ["content.HomePage"]
    subpage_types = ["creators.CreatorPage"]
    max_count = 1

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["creator_pages"] = readable_pages(
            CreatorPage.objects.child_of(self).live().select_related("creator", "creator__avatar"), request
        )
        return context


class CreatorPage(Page):
    """A creator's storefront; every page the creator writes sits beneath it."""

    creator = models.OneToOneField(CreatorProfile, on_delete=models.PROTECT, related_name="storefront")
    tagline = models.CharField(max_length=200, blank=True)

    content_panels = Page.content_panels + [
        FieldPanel("creator", permission="creators.change_creatorprofile"),
        FieldPanel("tagline"),
    ]
    parent_page_types = ["creators.CreatorIndexPage"]
    subpage_types = ["content.BuyingGuidePage", "content.LiveSessionPage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["published_pages"] = (
            readable_pages(self.get_children().live(), request).specific().order_by("-first_published_at")
        )
        return context
