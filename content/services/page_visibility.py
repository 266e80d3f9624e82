"""Which pages an admin user may see the titles of outside the pages they edit (the page chooser).

Live, unrestricted pages are public anyway. Drafts and pages behind a view restriction
(password, login, groups) are shown only to users who may edit them: another creator's draft or
private page title is not for a creator to read in a chooser.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from wagtail.models import PageViewRestriction
from wagtail.permissions import page_permission_policy


def hidden_pages_filter() -> Q:
    """Unpublished pages and every page at or below a view restriction."""
    restricted_paths = PageViewRestriction.objects.values_list("page__path", flat=True)
    hidden = Q(live=False)
    for path in restricted_paths:
        hidden |= Q(path__startswith=path)
    return hidden


def pages_choosable_by(pages: QuerySet, user: AbstractBaseUser) -> QuerySet:
    """``pages`` less the drafts and private pages ``user`` may not edit."""
    editable = page_permission_policy.instances_user_has_any_permission_for(user, ["add", "change", "publish"])
    return pages.filter(~hidden_pages_filter() | Q(pk__in=editable.values("pk")))
