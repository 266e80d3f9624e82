"""One registry of personal-data sections, like Wagtail's hooks: each app contributes what it holds
about a person (rows to export, how to anonymise them, what must wait, how long rows are kept) and
export, erasure and retention are each one function looping over ``registered_sections()``.

Apps below ``privacy`` (shop, creators, ...) cannot import it; their sections are written here, in
``privacy.sections``. An app at any floor may instead ship a ``personal_data`` module whose
``sections()`` returns dicts with the :class:`Section` field names: ``discover_sections`` finds it the
way Wagtail finds ``wagtail_hooks`` (the readers app does this, without importing ``privacy``).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from importlib import import_module

from django.apps import apps
from django.utils.module_loading import module_has_submodule

Row = dict[str, object]


@dataclass(frozen=True)
class Subject:
    """A data subject, known by the keyed hash of their normalised e-mail (``key``; see
    ``shop.services.buyer_identity``) and, until their request is done, the e-mail itself."""

    key: str
    email: str = ""


@dataclass(frozen=True)
class Section:
    """What one app holds about a person. Every callable is optional.

    ``export(subject)`` → rows (flat dicts, one CSV per section); ``erasure_blockers(subject, now)`` →
    reasons erasure must wait (empty: erasable now); ``anonymise(subject, now)`` → rows changed (a
    second call changes nothing); ``enforce_retention(now)`` → rows deleted or anonymised.
    """

    name: str
    export: Callable[[Subject], list[Row]] | None = None
    erasure_blockers: Callable[[Subject, datetime], list[str]] | None = None
    anonymise: Callable[[Subject, datetime], int] | None = None
    enforce_retention: Callable[[datetime], int] | None = None
    order: int = field(default=100, compare=False)


_sections: dict[str, Section] = {}
_discovered = False


def register_section(section: Section) -> Section:
    """Add (or replace, by name: registering twice is harmless) a section."""
    _sections[section.name] = section
    return section


def discover_sections() -> None:
    """Import ``privacy.sections`` and every installed app's ``personal_data`` module, once."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    import_module("privacy.sections")
    for config in apps.get_app_configs():
        if config.name != "privacy" and module_has_submodule(config.module, "personal_data"):
            module = import_module(f"{config.name}.personal_data")
            for entry in module.sections():
                register_section(entry if isinstance(entry, Section) else Section(**entry))


def registered_sections() -> list[Section]:
    discover_sections()
    return sorted(_sections.values(), key=lambda section: (section.order, section.name))
