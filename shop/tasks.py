"""Background work for the shop (Django's tasks API through django-tasks).

``release_expired_reservations_task`` is a scheduled job (``KOLSHOP_SCHEDULE``, every minute):
expired holds stop counting at once anyway (every availability query filters on expiry); the sweep
cancels the pending orders whose hold ran out and drops the rows. ``manage.py
release_expired_reservations`` runs the same sweep by hand.
"""

from django_tasks import task

from shop.services.reservations import release_expired_reservations


@task()
def release_expired_reservations_task() -> int:
    return release_expired_reservations()
