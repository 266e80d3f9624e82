"""Catalog rows read as plain values, then made into model instances the way Django unpickles them.

A page's snapshot holds a few hundred products, brands, variants and stock rows. Django builds each
instance through ``Model.__init__`` (field by field, with ``pre_init``/``post_init`` signals, and
modelcluster's child-relation scan for a product), which was most of the snapshot's time. These rows
are read with ``values_list`` instead and each instance is made as ``pickle`` makes one
(``Model.__reduce__``: ``__new__``, then its ``__dict__``), with the related rows a ``select_related``
would have cached. A model with ``pre_init``/``post_init`` receivers is built through ``from_db`` as usual.
"""

from django.db import models
from django.db.models import signals
from django.db.models.base import ModelState


def _concrete(model) -> list[tuple[str, str]]:
    """(lookup, attribute) of each column: a foreign key is looked up by name, kept as ``<name>_id``."""
    return [(field.name, field.attname) for field in model._meta.concrete_fields]


def make_instance(model, values: dict, *, db: str):
    """A saved instance of ``model`` holding ``values`` (every concrete field's attribute)."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        attnames = [attname for _lookup, attname in _concrete(model)]
        instance = model.from_db(db, attnames, [values[attname] for attname in attnames])
        instance.__dict__.update({key: value for key, value in values.items() if key not in attnames})
        return instance
    instance = model.__new__(model)
    instance.__dict__.update(values)
    state = ModelState()
    state.adding = False
    state.db = db
    instance._state = state
    return instance


def load_instances(queryset, *, joined: dict[str, type[models.Model]] | None = None,
                   annotations: tuple[str, ...] = ()) -> list:
    """The rows of ``queryset`` as instances, each with its ``joined`` relation (a foreign key or a
    reverse one-to-one, by name) cached as ``select_related`` would; ``annotations`` become attributes.

    Joined rows of one id are one instance (a brand shown by many products is read once).
    """
    model, db, joined = queryset.model, queryset.db, joined or {}
    own = _concrete(model)
    joined_columns = {name: _concrete(related) for name, related in joined.items()}
    lookups = [lookup for lookup, _attname in own] + list(annotations)
    for name, columns in joined_columns.items():
        lookups += [f"{name}__{lookup}" for lookup, _attname in columns]
    own_names = [attname for _lookup, attname in own] + list(annotations)
    width = len(own_names)
    shared: dict[str, dict] = {name: {} for name in joined}
    instances = []
    for row in queryset.values_list(*lookups):
        instance = make_instance(model, dict(zip(own_names, row[:width])), db=db)
        start = width
        for name, columns in joined_columns.items():
            values = row[start:start + len(columns)]
            start += len(columns)
            related = _joined_instance(joined[name], columns, values, shared[name], db=db)
            relation = model._meta.get_field(name)
            relation.set_cached_value(instance, related)
            if related is not None and relation.one_to_one and not relation.concrete:
                relation.field.set_cached_value(related, instance)  # stock.variant, as select_related sets
        instances.append(instance)
    return instances


def _joined_instance(model, columns, values, shared: dict, *, db: str):
    pk = values[[attname for _lookup, attname in columns].index(model._meta.pk.attname)]
    if pk is None:  # no row (a variant without stock): the relation caches None, as select_related does
        return None
    if pk not in shared:
        shared[pk] = make_instance(model, {attname: value for (_lookup, attname), value in zip(columns, values)},
                                   db=db)
    return shared[pk]

