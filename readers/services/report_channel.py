"""Reader shares as a sales channel in brand reports (``creators.reports.channels``): the paid orders a
reader's share led to (rewarded or refused alike: the share sold either way)."""

from django.db.models import Q, QuerySet

from creators.reports.queries import ReportFilters
from readers.models import RewardEntry, RewardEntryKind, RewardRefusal
from shop.models import Order

CHANNEL_LABEL = "Reader shares"


def reader_share_orders(filters: ReportFilters) -> tuple[str, QuerySet]:
    rewarded = RewardEntry.objects.filter(kind=RewardEntryKind.ACCRUAL).values("order_id")
    refused = RewardRefusal.objects.values("order_id")
    return CHANNEL_LABEL, Order.objects.filter(Q(pk__in=rewarded) | Q(pk__in=refused)).values("pk")
