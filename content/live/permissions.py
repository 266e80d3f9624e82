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

from content.live.models import LiveProducer

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
