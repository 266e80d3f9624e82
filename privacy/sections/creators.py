"""What the creators app holds about a buyer: the clicks their order lines came through.

Clicks and page views carry no e-mail (a daily-rotating visitor hash only); the clicks a buyer's order
lines point at are theirs, so they are exported, and erasure blanks their referrer (a URL can carry
anything). Counts and ids stay: reports count rows, never read referrers.
"""

from datetime import datetime

from creators.models import Click
from privacy.registry import Row, Section, Subject, register_section
from privacy.sections.shop import subject_orders
from shop.models import OrderLine


def _subject_clicks(subject: Subject):
    click_ids = OrderLine.objects.filter(order__in=subject_orders(subject), click_id__isnull=False).values("click_id")
    return Click.objects.filter(pk__in=click_ids)


def _clicks_rows(subject: Subject) -> list[Row]:
    return list(_subject_clicks(subject).order_by("pk").values("link__code", "clicked_at", "referrer", "ua_class"))


def _anonymise_clicks(subject: Subject, now: datetime) -> int:
    return _subject_clicks(subject).exclude(referrer="").update(referrer="")


register_section(Section(name="clicks", order=20, export=_clicks_rows, anonymise=_anonymise_clicks))
