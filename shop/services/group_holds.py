"""Group buy card holds: placed at join, captured when the team fills, released when it can't.

* ``place_hold`` (after the join's commit) opens a manual-capture PaymentIntent, its idempotency
  key derived from team and member, so a retried join never holds a card twice.
* ``record_hold`` (from the join itself, or the ``payment_intent.amount_capturable_updated``
  webhook, whichever comes first; the other changes nothing) marks the member ``held``, shortens
  the team's deadline to the earliest hold's ``capture_before`` minus
  ``KOLSHOP_GROUP_CAPTURE_MARGIN_MINUTES``, and, when it is the last seat held, flips the team to
  ``filled`` in the same transaction that locks the team row.
* ``capture_team`` runs after that commit, never under a lock: each hold is captured and its order
  paid through ``shop.services.payments.complete_checkout`` (so stock, ``order_paid`` and
  commission follow the usual path). A member whose capture fails is ``capture_failed``: their
  order is cancelled and their units freed; the others are kept and the team stays filled (then
  ``captured``), unless the campaign says ``reopen_after_failed_capture``: then, while its
  deadline lasts, the team goes back to ``forming`` with the failed seats free (the members charged
  stay charged: they were promised the group price), fills again when a new member's hold makes it
  whole and captures only that member; if the deadline passes first it expires as usual (releasing
  the open holds; the charged members keep their paid orders).
* ``expire_teams`` (scheduled, every minute) takes forming teams past their deadline under their
  row lock (skipping a team a fill holds right now), marks them ``expired``, cancels their orders
  and frees their units; after the commit it cancels every hold (``released``). A fill and the
  expiry both need the team row, and a fill checks the deadline under it: exactly one of them wins.
  Members who never confirmed their card within the reservation time give their seat back.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone as dt_timezone
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone

from shop.errors import PaymentFailed, Unavailable
from shop.models import (
    GroupMember,
    GroupMemberStatus,
    GroupTeam,
    GroupTeamStatus,
    Order,
    OrderEventType,
    OrderStatus,
    Payment,
    PaymentStatus,
)
from shop.models.groupbuy import OPEN_MEMBER_STATUSES
from shop.money import from_minor_units, to_minor_units
from shop.payments.gateway import UNAVAILABLE_MESSAGE, PaymentGateway, PaymentGatewayError
from shop.payments.registry import get_gateway
from shop.services.orders import record_event
from shop.services.payments import complete_checkout
from shop.services.reservations import cancel_pending_orders, shorten_reservations

logger = logging.getLogger(__name__)


def capture_margin() -> timedelta:
    return timedelta(minutes=settings.KOLSHOP_GROUP_CAPTURE_MARGIN_MINUTES)


@dataclass(frozen=True)
class Membership:
    """A member seated in a team, with their order and (once the hold is open) its payment."""

    member: GroupMember
    team: GroupTeam
    order: Order
    payment: Payment | None
    publishable_key: str = ""


def hold_key(member: GroupMember, team: GroupTeam) -> str:
    return f"kolshop-group-{team.code}-member-{member.pk}"


def place_hold(member: GroupMember, *, gateway: PaymentGateway, payment_method: str = ""):
    """Open the member's card hold (no lock held); the join's answer carries its client secret."""
    team, order = member.team, member.order
    try:
        result = gateway.create_hold(
            amount=order.total, currency=order.currency, reference=order.number,
            idempotency_key=hold_key(member, team),
            metadata={"group_team": team.code, "group_member": str(member.pk)}, payment_method=payment_method,
        )
    except (PaymentGatewayError, NotImplementedError) as error:
        logger.warning("Opening a hold for order %s failed: %s", order.number, error)
        release_member(member.pk, reason="payment gateway unavailable")
        raise Unavailable(UNAVAILABLE_MESSAGE, code="payment_unavailable") from error
    if result.status == "declined":
        release_member(member.pk, reason="card declined")
        raise PaymentFailed(result.message or "Your card was declined.", code="card_declined")
    payment = _ensure_payment(member, order, intent_id=result.intent_id, client_secret=result.client_secret,
                              gateway_name=gateway.name)
    if result.status == "held":
        capture_before = (datetime.fromtimestamp(result.capture_before, tz=dt_timezone.utc)
                          if result.capture_before else None)
        record_hold(member.pk, intent_id=result.intent_id, amount_capturable=result.amount_capturable,
                    capture_before=capture_before)
    member.refresh_from_db()
    team.refresh_from_db()
    order.refresh_from_db()
    return Membership(member=member, team=team, order=order, payment=payment,
                      publishable_key=getattr(gateway, "publishable_key", ""))


def _ensure_payment(member: GroupMember, order: Order, *, intent_id: str, client_secret: str,
                    gateway_name: str) -> Payment:
    """The member's payment row, whoever (join or webhook) records the intent first."""
    payment, _ = Payment.objects.get_or_create(
        intent_id=intent_id,
        defaults={"order": order, "gateway": gateway_name, "client_secret": client_secret,
                  "amount": order.total, "currency": order.currency},
    )
    if client_secret and not payment.client_secret:
        Payment.objects.filter(pk=payment.pk).update(client_secret=client_secret)
        payment.client_secret = client_secret
    GroupMember.objects.filter(pk=member.pk, intent_id="").update(intent_id=intent_id)
    return payment


def record_hold(member_id: int, *, intent_id: str, amount_capturable: int,
                capture_before: datetime | None, now: datetime | None = None) -> GroupTeam:
    """The card is held: the member is seated for good; the last one fills the team. Idempotent."""
    now = now or timezone.now()
    with transaction.atomic():
        team_id = GroupMember.objects.filter(pk=member_id).values_list("team_id", flat=True).get()
        team = GroupTeam.objects.select_for_update().get(pk=team_id)
        member = GroupMember.objects.select_for_update().select_related("order").get(pk=member_id)
        if member.status != GroupMemberStatus.AUTHORISING or (member.intent_id and member.intent_id != intent_id):
            return team  # already held (a second report), released, or another intent
        order = member.order
        _ensure_payment(member, order, intent_id=intent_id, client_secret="",
                        gateway_name=settings.KOLSHOP_PAYMENT_GATEWAY)
        late = team.status != GroupTeamStatus.FORMING or now >= team.deadline
        if late or amount_capturable != to_minor_units(order.total, order.currency):
            _release_locked(member, reason="team closed" if late else "held amount does not match")
            transaction.on_commit(lambda: release_holds([member.pk]))
            return team
        member.status = GroupMemberStatus.HELD
        member.intent_id = intent_id
        member.capture_before = capture_before
        member.save(update_fields=["status", "intent_id", "capture_before", "updated_at"])
        record_event(order, OrderEventType.GROUP_HOLD, before=order.status,
                     data={"intent_id": intent_id, "group_team": team.code})
        if capture_before is not None and capture_before - capture_margin() < team.deadline:
            _shorten_deadline(team, capture_before - capture_margin())
        # Charged members of a reopened team keep their seats (shop.models.groupbuy.SEATED_MEMBER_STATUSES).
        held = team.members.filter(status__in=[GroupMemberStatus.HELD, GroupMemberStatus.CAPTURED]).count()
        if held >= team.seats and now < team.deadline:
            team.status = GroupTeamStatus.FILLED
            team.filled_at = now
            team.save(update_fields=["status", "filled_at", "deadline"])
            transaction.on_commit(lambda: capture_team(team.pk))
    return team


def _shorten_deadline(team: GroupTeam, deadline: datetime) -> None:
    """A hold ends before the window: the team (and its members' reservations) must end first."""
    team.deadline = deadline
    team.save(update_fields=["deadline"])
    orders = GroupMember.objects.filter(team=team, status__in=OPEN_MEMBER_STATUSES).values("order_id")
    Order.objects.filter(pk__in=orders).update(reserved_until=deadline)
    shorten_reservations(orders, expires_at=deadline)


def capture_team(team_id: int) -> GroupTeam:
    """Capture every held member of a filled team, one by one, outside any transaction."""
    members = list(GroupMember.objects.select_related("team", "order")
                   .filter(team_id=team_id, team__status=GroupTeamStatus.FILLED, status=GroupMemberStatus.HELD))
    for member in members:
        payment = Payment.objects.get(intent_id=member.intent_id)
        try:
            received = get_gateway(payment.gateway).capture_hold(
                member.intent_id, idempotency_key=f"{hold_key(member, member.team)}-capture")
        except PaymentGatewayError as error:
            _capture_failed(member.pk, message=error.message)
            continue
        record_capture(member.intent_id, amount_received=from_minor_units(received, payment.currency),
                       currency=payment.currency)
    settled = False
    with transaction.atomic():
        team = GroupTeam.objects.select_for_update().select_related("campaign").get(pk=team_id)
        if team.status == GroupTeamStatus.FILLED and not team.members.filter(status=GroupMemberStatus.HELD).exists():
            now = timezone.now()
            captured = team.members.filter(status=GroupMemberStatus.CAPTURED).count()
            if team.campaign.reopen_after_failed_capture and captured < team.seats and now < team.deadline:
                team.status = GroupTeamStatus.FORMING  # the failed seats are offered again until the deadline
                team.save(update_fields=["status"])
                return team
            team.status = GroupTeamStatus.CAPTURED
            team.settled_at = now
            team.save(update_fields=["status", "settled_at"])
            settled = True
    if settled:
        email_members(team, filled=True)
    return team


def email_members(team: GroupTeam, *, filled: bool) -> int:
    """Tell each member how their team ended (sent once: by whoever settled the team)."""
    if filled:
        members = team.members.filter(status=GroupMemberStatus.CAPTURED).select_related("order")
        subject = "Your group buy filled: you paid the group price"
        body = "Your team {code} filled. Order {number} is paid: {total} {currency}."
    else:
        members = team.members.filter(status=GroupMemberStatus.RELEASED).select_related("order")
        subject = "Your group buy did not fill"
        body = "Your team {code} did not fill in time. The hold on your card is released; nothing was charged."
    messages = [
        (subject, body.format(code=team.code, number=member.order.number, total=member.order.total,
                              currency=member.order.currency), None, [member.order.email])
        for member in members
    ]
    try:
        return send_mass_mail(messages, fail_silently=False)
    except OSError as error:  # the mail server is down: the orders are right either way
        logger.warning("Group buy e-mails for team %s failed: %s", team.code, error)
        return 0


def record_capture(intent_id: str, *, amount_received: Decimal, currency: str) -> None:
    """The hold was captured (our call's answer, or ``payment_intent.succeeded``): pay the order once."""
    order = complete_checkout(intent_id, amount=amount_received, currency=currency)
    if order.is_paid:
        # Also a member released meanwhile whose hold was captured after all (a capture answer lost on
        # the way): the order was paid again under the one late-payment rule, so the seat is theirs.
        GroupMember.objects.filter(intent_id=intent_id, status__in=[
            GroupMemberStatus.HELD, GroupMemberStatus.CAPTURE_FAILED]).update(
            status=GroupMemberStatus.CAPTURED, updated_at=timezone.now())
    elif order.status == OrderStatus.CANCELLED:
        # Captured too late to honour (stock or the group price lapsed): refunded in full by the payment.
        GroupMember.objects.filter(intent_id=intent_id, status=GroupMemberStatus.HELD).update(
            status=GroupMemberStatus.CAPTURE_FAILED, failure_message="captured after the group price lapsed",
            updated_at=timezone.now())


def _capture_failed(member_id: int, *, message: str) -> None:
    with transaction.atomic():
        member = GroupMember.objects.select_for_update().select_related("order").get(pk=member_id)
        if member.status != GroupMemberStatus.HELD:
            return
        _release_locked(member, reason=f"capture failed: {message}"[:200],
                        status=GroupMemberStatus.CAPTURE_FAILED)
        member.failure_message = message[:300]
        member.save(update_fields=["failure_message"])
    release_holds([member_id])


def _release_locked(member: GroupMember, *, reason: str, status: str = GroupMemberStatus.RELEASED) -> None:
    """Under the team lock: the member leaves, their order is cancelled and their units freed."""
    member.status = status
    member.save(update_fields=["status", "updated_at"])
    order = Order.objects.select_for_update().get(pk=member.order_id)
    if order.status == OrderStatus.AWAITING_GROUP:
        cancel_pending_orders([order], reason=reason, event_type=OrderEventType.GROUP_RELEASED)


def release_member(member_id: int, *, reason: str, cancel_hold: bool = True) -> None:
    """A member leaves a forming team (declined card, cancelled or expired hold); their seat is free again."""
    with transaction.atomic():
        team_id = GroupMember.objects.filter(pk=member_id).values_list("team_id", flat=True).get()
        GroupTeam.objects.select_for_update().get(pk=team_id)
        member = GroupMember.objects.select_for_update().get(pk=member_id)
        if member.status not in OPEN_MEMBER_STATUSES:
            return
        _release_locked(member, reason=reason)
    if cancel_hold:
        release_holds([member_id])


def release_holds(member_ids: list[int]) -> int:
    """Cancel the holds of released members at the gateway (after commit); returns how many were cancelled.

    A released hold is never a refund: the payment is only marked cancelled. A failure is logged and
    retried by the next ``expire_teams``.
    """
    payments = Payment.objects.filter(
        intent_id__in=GroupMember.objects.filter(pk__in=member_ids).exclude(intent_id="").values("intent_id"),
        status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED],
    )
    cancelled = 0
    for payment in payments:
        try:
            get_gateway(payment.gateway).cancel_hold(payment.intent_id, reason="abandoned",
                                                     idempotency_key=f"kolshop-group-release-{payment.intent_id}")
        except (PaymentGatewayError, NotImplementedError) as error:
            logger.warning("Could not release hold %s: %s", payment.intent_id, error)
            continue
        cancelled += Payment.objects.filter(
            pk=payment.pk, status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED]
        ).update(status=PaymentStatus.CANCELLED, updated_at=timezone.now())
    return cancelled


def record_hold_cancelled(intent_id: str, *, reason: str) -> bool:
    """``payment_intent.canceled`` or ``charge.expired``: the hold is gone. False when not a group hold."""
    member = GroupMember.objects.filter(intent_id=intent_id).first()
    if member is None:
        return False
    release_member(member.pk, reason=reason, cancel_hold=False)
    Payment.objects.filter(intent_id=intent_id, status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED]).update(
        status=PaymentStatus.CANCELLED, updated_at=timezone.now())
    return True


def expire_teams(*, now: datetime | None = None) -> int:
    """The scheduled job: expire forming teams past their deadline and release every hold; returns
    how many teams expired. Also releases holds a failed earlier run left open."""
    now = now or timezone.now()
    with transaction.atomic():
        teams = list(GroupTeam.objects.select_for_update(skip_locked=True)
                     .filter(status=GroupTeamStatus.FORMING, deadline__lte=now).order_by("pk"))
        for team in teams:
            team.status = GroupTeamStatus.EXPIRED
            team.save(update_fields=["status"])
            for member in (team.members.select_for_update().filter(status__in=OPEN_MEMBER_STATUSES)
                           .order_by("pk")):
                _release_locked(member, reason="the team did not fill in time")
        stale = _stale_authorisations(now)
    for member_id in stale:
        release_member(member_id, reason="card not confirmed in time")
    expired_ids = list(GroupTeam.objects.filter(status=GroupTeamStatus.EXPIRED).values_list("pk", flat=True))
    released = GroupMember.objects.filter(team_id__in=expired_ids).values_list("pk", flat=True)
    release_holds(list(released))
    open_payments = Payment.objects.filter(
        intent_id__in=GroupMember.objects.filter(team_id__in=expired_ids).values("intent_id"),
        status__in=[PaymentStatus.PENDING, PaymentStatus.FAILED])
    settled = [team_id for team_id in expired_ids
               if not open_payments.filter(order__group_member__team_id=team_id).exists()]
    for team in GroupTeam.objects.filter(pk__in=settled):
        if GroupTeam.objects.filter(pk=team.pk, status=GroupTeamStatus.EXPIRED).update(
                status=GroupTeamStatus.RELEASED, settled_at=now):
            email_members(team, filled=False)
    if teams:
        logger.info("Expired %d group teams.", len(teams))
    return len(teams)


def _stale_authorisations(now: datetime) -> list[int]:
    cutoff = now - timedelta(minutes=settings.KOLSHOP_RESERVATION_MINUTES)
    return list(GroupMember.objects.filter(status=GroupMemberStatus.AUTHORISING, joined_at__lte=cutoff,
                                           team__status=GroupTeamStatus.FORMING).values_list("pk", flat=True))
