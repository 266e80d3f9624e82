"""Group buy (拼团): a team of readers unlocks a group price, charged only when the team fills in time.

A campaign is a ``Promotion`` of kind ``group`` (variant, group price, currency, running window, unit
cap and per-buyer quantity live there, priced by ``shop.services.pricing.price_line``) plus the team
rules here. A team is ``forming`` until its seats are held (``filled``, then ``captured``) or its
deadline passes (``expired``, then ``released``). Each member has one order (status
``awaiting_group``) and one card hold (a manual-capture PaymentIntent). The rules live in
``shop.services.groupbuy``.
"""

import secrets
from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel


def new_share_code() -> str:
    return secrets.token_urlsafe(9)


class GroupCampaign(models.Model):
    promotion = models.OneToOneField(
        "shop.Promotion", on_delete=models.PROTECT, related_name="group_campaign",
        limit_choices_to={"kind": "group"},
        help_text=_("A promotion of kind 'Group price': the variant, group price, dates, unit cap and per-buyer "
                    "quantity."),
    )
    team_size = models.PositiveSmallIntegerField(help_text=_("Members (the opener included) a team needs."))
    window = models.DurationField(default=timedelta(hours=24),
                                  help_text=_("How long a team has to fill from its opening."))
    team_cap = models.PositiveIntegerField(null=True, blank=True,
                                           help_text=_("Teams that may be opened in total; blank for no cap."))
    new_buyers_only = models.BooleanField(default=False,
                                          help_text=_("Only buyers without a paid order may join."))
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        FieldPanel("promotion"),
        FieldRowPanel([FieldPanel("team_size"), FieldPanel("window")]),
        FieldRowPanel([FieldPanel("team_cap"), FieldPanel("new_buyers_only")]),
    ]

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("group campaign")
        constraints = [
            models.CheckConstraint(condition=Q(team_size__gte=2), name="group_campaign_team_of_two"),
            models.CheckConstraint(condition=Q(window__gt=timedelta(0)), name="group_campaign_window_positive"),
            models.CheckConstraint(condition=Q(team_cap__isnull=True) | Q(team_cap__gte=1),
                                   name="group_campaign_team_cap_positive"),
        ]

    def __str__(self) -> str:
        return f"Group of {self.team_size}: {self.promotion_id}"


class GroupTeamStatus(models.TextChoices):
    FORMING = "forming", _("Forming")
    FILLED = "filled", _("Filled")
    CAPTURED = "captured", _("Captured")
    EXPIRED = "expired", _("Expired")
    RELEASED = "released", _("Released")


class GroupTeam(models.Model):
    campaign = models.ForeignKey(GroupCampaign, on_delete=models.PROTECT, related_name="teams")
    code = models.CharField(max_length=20, unique=True, default=new_share_code, editable=False)
    status = models.CharField(max_length=10, choices=GroupTeamStatus, default=GroupTeamStatus.FORMING)
    seats = models.PositiveSmallIntegerField(help_text=_("The campaign's team size when the team opened."))
    deadline = models.DateTimeField(help_text=_("The campaign window, shortened to the earliest hold's expiry."))
    # The buy link the opener came through, as raw facts: every member's line carries it.
    creator_id = models.BigIntegerField(null=True, blank=True)
    page_id = models.BigIntegerField(null=True, blank=True)
    block_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    filled_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=GroupTeamStatus.values), name="group_team_status_known"),
            models.CheckConstraint(condition=Q(seats__gte=2), name="group_team_seats_two"),
        ]
        indexes = [models.Index(fields=["status", "deadline"], name="group_team_status_deadline_idx")]

    def __str__(self) -> str:
        return f"Team {self.code} ({self.status})"


class GroupMemberStatus(models.TextChoices):
    AUTHORISING = "authorising", _("Authorising the card")
    HELD = "held", _("Card held")
    CAPTURED = "captured", _("Charged")
    RELEASED = "released", _("Released")
    CAPTURE_FAILED = "capture_failed", _("Charge failed")


# Members that occupy a seat and count as the buyer's open team.
SEATED_MEMBER_STATUSES = [GroupMemberStatus.AUTHORISING, GroupMemberStatus.HELD, GroupMemberStatus.CAPTURED]
OPEN_MEMBER_STATUSES = [GroupMemberStatus.AUTHORISING, GroupMemberStatus.HELD]


class GroupMember(models.Model):
    team = models.ForeignKey(GroupTeam, on_delete=models.PROTECT, related_name="members")
    campaign = models.ForeignKey(GroupCampaign, on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField("shop.Order", on_delete=models.PROTECT, related_name="group_member")
    seat = models.PositiveSmallIntegerField()
    buyer_key = models.CharField(max_length=64, help_text=_("shop.services.buyer_identity.buyer_key of the order e-mail."))
    display_name = models.CharField(max_length=30, help_text=_("A first name or an initial: all others see."))
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=14, choices=GroupMemberStatus, default=GroupMemberStatus.AUTHORISING)
    intent_id = models.CharField(max_length=100, blank=True)
    capture_before = models.DateTimeField(null=True, blank=True)
    failure_message = models.CharField(max_length=300, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    wagtail_reference_index_ignore = True

    class Meta:
        ordering = ["seat", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=GroupMemberStatus.values), name="group_member_status_known"),
            models.CheckConstraint(condition=Q(seat__gte=1), name="group_member_seat_positive"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="group_member_quantity_positive"),
            # A seat holds one member at a time; a released member gives theirs back.
            models.UniqueConstraint(fields=["team", "seat"], condition=Q(status__in=SEATED_MEMBER_STATUSES),
                                    name="group_member_one_per_seat"),
            # At most one open team per buyer and campaign.
            models.UniqueConstraint(fields=["campaign", "buyer_key"], condition=Q(status__in=OPEN_MEMBER_STATUSES),
                                    name="group_member_one_open_team_per_buyer"),
        ]
        indexes = [models.Index(fields=["intent_id"], name="group_member_intent_idx")]

    def __str__(self) -> str:
        return f"{self.display_name} in {self.team_id} ({self.status})"
