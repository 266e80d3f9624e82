"""Naming and removing a live session's producers (the owner's console does it; the policy is
``content.live.permissions``).

A producer needs to reach the admin (where the console is) and nothing more, so naming one puts them
in the ``Live producers`` group, whose only permission is Wagtail's ``access_admin``; removing their
last session takes them out again. No page, image or snippet permission comes with the role.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from content.live.models import LiveProducer, LiveSession
from shop.errors import InvalidInput, NotFound

PRODUCERS_GROUP_NAME = "Live producers"


def producers_group() -> Group:
    group, _ = Group.objects.get_or_create(name=PRODUCERS_GROUP_NAME)
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return group


def find_producer(identifier: str):
    """The active user with this username or e-mail address (exactly one), for the owner's form."""
    identifier = identifier.strip()
    if not identifier:
        raise InvalidInput("Enter the producer's username or e-mail address.", code="invalid", field="producer")
    users = list(get_user_model().objects.filter(Q(username=identifier) | Q(email__iexact=identifier),
                                                 is_active=True)[:2])
    if len(users) != 1:
        raise NotFound("No single active account has that username or e-mail address.", code="user_not_found",
                       field="producer")
    return users[0]


@transaction.atomic
def assign_producer(page, *, user, by=None) -> LiveProducer:
    """Let ``user`` run ``page``'s session from the console. Naming someone twice changes nothing."""
    if not user.is_active:
        raise InvalidInput("That account is not active.", code="inactive_user", field="producer")
    session, _ = LiveSession.objects.get_or_create(page_id=page.pk)
    producer, created = LiveProducer.objects.get_or_create(session=session, user=user,
                                                           defaults={"assigned_by": by})
    if created:
        user.groups.add(producers_group())
    return producer


@transaction.atomic
def remove_producer(page, *, user_id: int) -> None:
    """End ``user_id``'s role on this session (and their admin access, when it was their last)."""
    deleted, _ = LiveProducer.objects.filter(session__page_id=page.pk, user_id=user_id).delete()
    if deleted and not LiveProducer.objects.filter(user_id=user_id).exists():
        group = Group.objects.filter(name=PRODUCERS_GROUP_NAME).first()
        if group is not None:
            group.user_set.remove(user_id)
