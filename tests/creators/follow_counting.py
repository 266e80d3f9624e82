"""Settings for a test's app process (``DJANGO_SETTINGS_MODULE=tests.creators.follow_counting``): the test
settings plus a middleware counting, in the click queue's Redis, the ``/r/`` follows Django's own handler
resolved, i.e. those the fast path (``creators.fast_follow``) left to it. The fast path runs the same
middleware but resolves no URL."""

import redis

from settings.test import *  # noqa: F401,F403
from settings.test import MIDDLEWARE

DJANGO_FOLLOWS_KEY = "test:follows-answered-by-django"


class CountFollowsAnsweredByDjango:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/r/") and getattr(request, "resolver_match", None) is not None:
            from django.conf import settings

            redis.Redis.from_url(settings.REDIS_URL).incr(DJANGO_FOLLOWS_KEY)
        return response


MIDDLEWARE = ["tests.creators.follow_counting.CountFollowsAnsweredByDjango", *MIDDLEWARE]
