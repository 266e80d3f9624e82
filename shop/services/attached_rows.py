"""Rows a service has loaded, given to an instance's related manager as its prefetched result, as
``prefetch_related`` leaves it, without the query Django would build for each instance and relation.

It sets Django's private queryset state: ``_result_cache`` and ``_prefetch_done`` (a prefetched result), the
instance's ``_prefetched_objects_cache`` (the related manager's ``get_queryset`` answers from it) and
``_defer_next_filter`` (the filter is built only if a caller filters the rows further, as a related manager defers
its own). ``tests/content/test_wagtail_upgrade_guard.py`` pins the Django source that reads them: when it fails
after an upgrade, check this still holds, then record the new hashes there.
"""

from django.db.models import Model, QuerySet


def attach_prefetched(instance: Model, relation: str, rows: list, *, queryset: QuerySet, **deferred_filter) -> None:
    """``instance.<relation>.all()`` answers ``rows`` without a query. ``queryset`` is a fresh queryset of the
    related model; ``deferred_filter`` (e.g. ``order_id=order.pk``) limits a further ``.filter()`` on the rows to
    this instance's, built only then. Without it a further filter reads every row of the model."""
    if deferred_filter:
        queryset._defer_next_filter = True
        queryset = queryset.filter(**deferred_filter)
    queryset._result_cache, queryset._prefetch_done = rows, True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[relation] = queryset
