"""Conditional GETs: whether a request's ``If-None-Match`` names a response's entity tag."""

from django.utils.cache import parse_etags


def if_none_match_names(request, etag: str) -> bool:
    """True when the request's ``If-None-Match`` lists ``etag`` or is ``*`` (RFC 9110: weak comparison, so
    ``W/"x"`` names ``"x"``; a list of tags names any of them). Read from ``META``: ``request.headers`` would copy
    every header first."""
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = parse_etags(header)
    return tags == ["*"] or etag.removeprefix("W/") in (tag.removeprefix("W/") for tag in tags)
