"""Django's session, authentication and message middleware for the site, passing straight through for the
anonymous commerce API (carts, orders, group buys, offers), which reads no session, user or message.

``shop.api_edge.HostileInputMiddleware`` (ahead of these in ``settings.MIDDLEWARE``) marks each request
once: ``request.skips_site_middleware`` from ``shop.api_edge.is_anonymous_commerce_api``. A marked request
gets no ``request.session``, ``request.user`` or ``request._messages`` and no session or message cookie;
every other request (and one no one marked) goes through Django's middleware unchanged.
"""

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware


def _skipped(request) -> bool:
    return getattr(request, "skips_site_middleware", False)


class _PassesMarkedRequestsThrough:
    def process_request(self, request):
        if not _skipped(request):
            super().process_request(request)


class _PassesMarkedRequestsAndResponsesThrough(_PassesMarkedRequestsThrough):
    def process_response(self, request, response):
        return response if _skipped(request) else super().process_response(request, response)


class SiteSessionMiddleware(_PassesMarkedRequestsAndResponsesThrough, SessionMiddleware):
    pass


class SiteAuthenticationMiddleware(_PassesMarkedRequestsThrough, AuthenticationMiddleware):
    pass


class SiteMessageMiddleware(_PassesMarkedRequestsAndResponsesThrough, MessageMiddleware):
    pass
