"""Builders for personal-data tests: a buyer with a name, address and phone on real-looking orders,
and a scan of every text and JSON column of every table."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.apps import apps
from django.db import models

from privacy.registry import Subject
from shop.models import Order
from shop.services.buyer_identity import buyer_key


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    phone: str

    @property
    def subject(self) -> Subject:
        return Subject(key=buyer_key(self.email), email=self.email)

    def traces(self) -> dict[str, str]:
        return {"email": self.email, "name": self.name, "line1": self.line1, "city": self.city,
                "postal_code": self.postal_code, "phone": self.phone}


ADA = Person(email="ada.lovelace@example.com", name="Ada Lovelace", line1="12 Analytical Row",
             line2="Flat 3, ring +1 555 0100", city="Marylebone", postal_code="NW1 6XE", phone="+1 555 0100")


def give_to(person: Person, order: Order, *, email: str | None = None, status: str | None = None) -> Order:
    """Make ``order`` the person's (the e-mail as they typed it that time), shipped to their address."""
    changes = dict(email=email or person.email, shipping_name=person.name, shipping_line1=person.line1,
                   shipping_line2=person.line2, shipping_city=person.city, shipping_postal_code=person.postal_code,
                   shipping_country="GB")
    if status:
        changes["status"] = status
    for name, value in changes.items():
        setattr(order, name, value)
    order.buyer_key = buyer_key(order.email)
    order.save()
    return order


TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def text_columns() -> list[tuple[type[models.Model], list[str]]]:
    """Every concrete model (all apps, Django's and Wagtail's included) with its text and JSON columns."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        names = [field.attname for field in model._meta.concrete_fields
                 if isinstance(field, TEXT_FIELDS) or field.get_internal_type() in ("TextField", "JSONField")]
        if names:
            found.append((model, names))
    return found


def scan_for(needles: dict[str, str]) -> dict[str, list[str]]:
    """Where each needle (case-insensitive) occurs: {needle name: ["app.Model.field", ...]}."""
    hits: dict[str, list[str]] = {name: [] for name in needles}
    lowered = {name: value.lower() for name, value in needles.items()}
    for model, names in text_columns():
        for row in model._base_manager.values_list(*names).iterator():
            for column, value in zip(names, row):
                if value in (None, ""):
                    continue
                text = str(value).lower()
                for name, needle in lowered.items():
                    if needle in text:
                        hits[name].append(f"{model._meta.label}.{column}")
    return hits


def days_after(moment: datetime, days: int) -> datetime:
    return moment + timedelta(days=days)
