"""Who may do what with a live session: one policy every console entry point asks.

- The session's *owners* are those who may edit its page (Wagtail's page permission: its creator,
  moderators, admins). They may do everything: run the console, edit replay chapters, name and remove
  producers, and see the session's money (revenue).
- A *producer* (``LiveProducer``, named by an owner for that one session) may open the console and run
  the show: ``PRODUCER_ACTIONS``. Nothing else: not the page (no page permission is granted), not the
  chapters, not other producers, not revenue.
- Anyone else may not learn the session exists: the console answers 404.
"""

from dataclasses import dataclass

from django.db.models import Q
from wagtail.permission_policies.pages import PagePermissionPolicy

from content.live.models import LiveProducer
from shop.services.brand_access import brand_ids_for_user

page_permission_policy = PagePermissionPolicy()

# What a producer may do on air (the console's action names).
PRODUCER_ACTIONS = frozenset({"start", "end", "pin", "unpin", "flash-deal", "end-deal"})


@dataclass(frozen=True)
class SessionAccess:
    owner: bool
    producer: bool

    @property
    def runs(self) -> bool:
        return self.owner or self.producer


def session_access(user, page) -> SessionAccess:
    """``user``'s standing on the session of ``page`` (a LiveSessionPage): one or two queries."""
    if not user.is_authenticated or not user.is_active:
        return SessionAccess(owner=False, producer=False)
    if page.permissions_for_user(user).can_edit():
        return SessionAccess(owner=True, producer=False)
    producer = LiveProducer.objects.filter(session__page_id=page.pk, user_id=user.pk).exists()
    return SessionAccess(owner=False, producer=producer)


def may_run_session(user, page) -> bool:
    """May open the console (owners and the session's producers)."""
    return session_access(user, page).runs


def may_act(access: SessionAccess, action: str) -> bool:
    """May take console ``action``: owners any, producers only the on-air ones."""
    return access.owner or (access.producer and action in PRODUCER_ACTIONS)


def may_manage_producers(access: SessionAccess) -> bool:
    return access.owner


def may_see_money(access: SessionAccess) -> bool:
    """Revenue (and any money figure) of the session: owners only."""
    return access.owner


# --- Session reports (``content.live.report_views``) ---------------------------------------------------------
# Owners see the whole report of their sessions. A brand user sees, of a session that pinned or ran a deal on
# one of their products, the figures of their own products only (``session_report(brand_ids=...)``:
# aggregates, no buyer). Producers and everyone else see no report (404).


@dataclass(frozen=True)
class ReportAccess:
    brand_ids: frozenset[int] | None  # None: the whole session


def _featuring(brand_ids) -> Q:
    return (Q(live_state__pins__product__brand_id__in=sorted(brand_ids))
            | Q(live_state__flash_deals__promotion__variant__product__brand_id__in=sorted(brand_ids)))


def report_access(user, page) -> ReportAccess | None:
    """What ``user`` may see of ``page``'s session report, or None."""
    from content.models import LiveSessionPage

    if not user.is_authenticated or not user.is_active:
        return None
    brand_ids = brand_ids_for_user(user)
    if brand_ids is not None:
        featured = bool(brand_ids) and LiveSessionPage.objects.filter(_featuring(brand_ids), pk=page.pk).exists()
        return ReportAccess(brand_ids=frozenset(brand_ids)) if featured else None
    return ReportAccess(brand_ids=None) if page.permissions_for_user(user).can_edit() else None


def may_open_reports(user) -> bool:
    """Whether the reports list is for ``user`` at all (brand users, and those who may make or edit pages)."""
    if not user.is_authenticated or not user.is_active:
        return False
    return brand_ids_for_user(user) is not None or page_permission_policy.user_has_any_permission(
        user, ["add", "change"])


def reportable_sessions(user):
    """The LiveSessionPages whose report ``user`` may open (newest first)."""
    from content.models import LiveSessionPage

    if not user.is_authenticated or not user.is_active:
        return LiveSessionPage.objects.none()
    brand_ids = brand_ids_for_user(user)
    if brand_ids is not None:
        pages = LiveSessionPage.objects.filter(_featuring(brand_ids)) if brand_ids else LiveSessionPage.objects.none()
    else:
        editable = page_permission_policy.instances_user_has_permission_for(user, "change")
        pages = LiveSessionPage.objects.filter(pk__in=editable.values("pk"))
    return pages.filter(live_state__started_at__isnull=False).distinct().order_by("-starts_at", "pk")
