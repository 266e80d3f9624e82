"""Sales channels beside creators' own links, for brand reports: apps above creators (readers' shares)
contribute one provider each from their AppConfig.ready (creators may not import them), as with
``shop.events``. A channel shows aggregates only, per currency, and none under ``MIN_ORDERS_PER_ROW``
orders (a small figure could point at a buyer).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet

from creators.reports import figures
from creators.reports.facts import order_line_facts
from creators.reports.queries import MIN_ORDERS_PER_ROW, ReportFilters
from creators.reports.rollup import day_bounds
from shop.money import quantize


@dataclass(frozen=True)
class ChannelFigures:
    channel: str
    currency: str
    orders: int
    units: int
    gmv: Decimal
    refunds: Decimal

    @property
    def net_gmv(self) -> Decimal:
        return figures.net_gmv(self.gmv, self.refunds)


# A provider names its channel and the paid orders it sold: filters → (label, order ids queryset).
ChannelProvider = Callable[[ReportFilters], tuple[str, QuerySet]]
_providers: list[ChannelProvider] = []


def register_channel(provider: ChannelProvider) -> ChannelProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def channel_figures(filters: ReportFilters) -> list[ChannelFigures]:
    """Each registered channel's orders, units, GMV and refunds within the report's range and brands,
    counted from the same order-line facts as the report (``order_line_facts``, ``figures.order_figures``)."""
    start: datetime = day_bounds(filters.start)[0]
    end: datetime = day_bounds(filters.end)[1]
    found = []
    for provider in _providers:
        label, order_ids = provider(filters)
        facts = order_line_facts(start, end).filter(order_id__in=order_ids)
        if filters.brand_ids is not None:
            facts = facts.filter(brand_id__in=filters.brand_ids)
        for row in facts.values("currency").annotate(**figures.order_figures()).order_by("currency"):
            if row["orders"] >= MIN_ORDERS_PER_ROW:
                found.append(ChannelFigures(label, row["currency"], row["orders"], row["units"],
                                            quantize(row["gmv"]), quantize(row["refunds"])))
    return found
