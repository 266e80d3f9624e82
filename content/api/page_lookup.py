"""What the content API remembers to look pages up and serialize them, and who an anonymous reader is (moved from
``content.api.views``)."""

from django.contrib.auth.models import AnonymousUser


# A page's specific model never changes (Wagtail has no way to change a page's type), so each process
# remembers it for the pages it has served: a known page is read in one query instead of two (the
# Page row, then the specific row). Bounded; a wrong entry (a deleted page) only costs the fallback.
_PAGE_CLASSES: dict[int, type] = {}
_PAGE_CLASSES_LIMIT = 10_000


def known_page_class(pk: int) -> type | None:
    return _PAGE_CLASSES.get(pk)


def forget_page_classes() -> None:
    _PAGE_CLASSES.clear()


def remember_page_class(page) -> None:
    if len(_PAGE_CLASSES) >= _PAGE_CLASSES_LIMIT:
        _PAGE_CLASSES.clear()
    _PAGE_CLASSES[page.pk] = type(page)


_SERIALIZER_CLASSES: dict[tuple, type] = {}
_SERIALIZER_CLASSES_LIMIT = 1_000


def _frozen_fields_config(fields_config) -> tuple:
    """Wagtail's parsed ``?fields=`` (lists of (name, negated, sub-fields)) as a dictionary key."""
    return tuple((name, negated, _frozen_fields_config(sub_fields) if sub_fields else sub_fields)
                 for name, negated, sub_fields in fields_config)


class AnonymousReader:
    """A request as an anonymous reader sees pages: Wagtail's view-restriction checks read only its user and
    session, so those are an anonymous user's and an empty session; everything else is the request's."""

    def __init__(self, request) -> None:
        vars(self).update(_request=request, user=AnonymousUser(), session={})

    def __getattr__(self, name):
        return getattr(self._request, name)

    def __setattr__(self, name, value):
        setattr(self._request, name, value)  # what Wagtail remembers on the request (its site) stays remembered
