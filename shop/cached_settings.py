"""Settings read many times per request, read once per process.

An uncached content API page reads a few settings for every block it shows (the page cache's lifetime and
the secret key for each buy link, the low-stock threshold for each variant): about 900 reads of Django's lazy
``settings`` per page, each a Python-level ``__getattribute__``. ``cached_setting`` remembers each value the
first time it is asked for and forgets it when Django announces a change (``setting_changed``: sent by
``override_settings`` and pytest-django's ``settings`` fixture), so a test overriding a setting sees its
value at once. Settings never change in a running process otherwise.
"""

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

_VALUES: dict[str, Any] = {}


def cached_setting(name: str) -> Any:
    """``getattr(settings, name)``, read once per process (until ``setting_changed`` names it)."""
    try:
        return _VALUES[name]
    except KeyError:
        value = _VALUES[name] = getattr(settings, name)
        return value


@receiver(setting_changed, dispatch_uid="shop.cached_settings.forget")
def _forget_changed_setting(*, setting: str, **kwargs) -> None:
    _VALUES.pop(setting, None)
