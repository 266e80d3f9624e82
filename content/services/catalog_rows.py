"""Catalog rows read as plain values, then made into model instances the way Django unpickles them.

A page's snapshot holds a few hundred products, brands, variants and stock rows. Django builds each
instance through ``Model.__init__`` (field by field, with ``pre_init``/``post_init`` signals, and
modelcluster's child-relation scan for a product), which was most of the snapshot's time. These rows
are read with ``values_list`` instead and each instance is made as ``pickle`` makes one
(``Model.__reduce__``: ``__new__``, then its ``__dict__``), with the related rows a ``select_related``
would have cached. A model with ``pre_init``/``post_init`` receivers is built through ``from_db`` as usual.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db import models, router
from django.db.models import QuerySet, signals
from django.db.models.base import ModelState

from shop.services.compiled_queries import CompiledQuery


def _concrete(model, deferred: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """(lookup, attribute) of each column: a foreign key is looked up by name, kept as ``<name>_id``. Fields named
    in ``deferred`` are not read: they stay deferred, as ``QuerySet.defer`` leaves them (read on first access)."""
    return [(field.name, field.attname) for field in model._meta.concrete_fields if field.name not in deferred]


def make_instance(model, values: dict, *, db: str):
    """A saved instance of ``model`` holding ``values`` (every concrete field's attribute)."""
    return _instance_maker(model)(values, db)


def _instance_maker(model):
    """``make_instance`` for ``model``, its signal receivers looked up once for many rows."""
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        attnames = [attname for _lookup, attname in _concrete(model)]

        def through_init(values: dict, db: str):
            loaded = [attname for attname in attnames if attname in values]  # the rest stay deferred (from_db)
            instance = model.from_db(db, loaded, [values[attname] for attname in loaded])
            instance.__dict__.update({key: value for key, value in values.items() if key not in attnames})
            return instance

        return through_init

    def as_unpickled(values: dict, db: str):
        instance = model.__new__(model)
        instance.__dict__.update(values)
        state = ModelState()
        state.adding = False
        state.db = db
        instance._state = state
        return instance

    return as_unpickled


def load_instances(queryset, *, joined: dict[str, type[models.Model]] | None = None,
                   annotations: tuple[str, ...] = (), deferred: frozenset[str] = frozenset()) -> list:
    """The rows of ``queryset`` as instances, each with its ``joined`` relation (a foreign key or a
    reverse one-to-one, by name) cached as ``select_related`` would; ``annotations`` become attributes;
    fields named in ``deferred`` (of the model and its joined models) are left deferred.

    Joined rows of one id are one instance (a brand shown by many products is read once).
    """
    shape = _RowShape(queryset.model, joined or {}, annotations, deferred)
    return shape.instances(queryset.values_list(*shape.lookups), db=queryset.db)


@dataclass
class _RowShape:
    """The columns ``load_instances`` reads for a model, its joined relations and annotations."""

    model: type[models.Model]
    joined: dict[str, type[models.Model]]
    annotations: tuple[str, ...]
    deferred: frozenset[str] = frozenset()

    def __post_init__(self):
        own = _concrete(self.model, self.deferred)
        self.joined_columns = {name: _concrete(related, self.deferred) for name, related in self.joined.items()}
        self.lookups = [lookup for lookup, _attname in own] + list(self.annotations)
        for name, columns in self.joined_columns.items():
            self.lookups += [f"{name}__{lookup}" for lookup, _attname in columns]
        self.own_names = [attname for _lookup, attname in own] + list(self.annotations)

    def instances(self, rows, *, db: str, converters: tuple = (), connection=None) -> list:
        """Instances of ``rows``; ``converters`` ((column, converters, expression), as Django's compiler applies
        them) are applied here, a joined row's only when it is first met."""
        model, width, own_names = self.model, len(self.own_names), self.own_names
        make = _instance_maker(model)
        own_converters = [(column, found, expression) for column, found, expression in converters if column < width]
        joins = []  # (first column, end, attnames, pk column, maker, relation, reverse one-to-one, converters, shared)
        start = width
        for name, columns in self.joined_columns.items():
            related_model, attnames = self.joined[name], [attname for _lookup, attname in columns]
            relation, end = model._meta.get_field(name), start + len(columns)
            joins.append((start, end, attnames, attnames.index(related_model._meta.pk.attname),
                          _instance_maker(related_model), relation, relation.one_to_one and not relation.concrete,
                          [(column - start, found, expression) for column, found, expression in converters
                           if start <= column < end], {}))
            start = end
        instances = []
        for row in rows:
            values = _convert(row[:width], own_converters, connection)
            instance = make(dict(zip(own_names, values)), db)
            for first, end, attnames, pk_column, make_related, relation, reverse, join_converters, shared in joins:
                values = row[first:end]
                pk = values[pk_column]
                if pk is None:  # no row (a variant without stock): the relation caches None, as select_related does
                    related = None
                elif pk in shared:  # one instance per joined row (a brand shown by many products is read once)
                    related = shared[pk]
                else:
                    values = _convert(values, join_converters, connection)
                    related = shared[pk] = make_related(dict(zip(attnames, values)), db)
                relation.set_cached_value(instance, related)
                if related is not None and reverse:
                    relation.field.set_cached_value(related, instance)  # stock.variant, as select_related sets
            instances.append(instance)
        return instances


def _convert(values, converters, connection):
    """Django's column converters over one row's values (``SQLCompiler.apply_converters``)."""
    if not converters:
        return values
    values = list(values)
    for column, found, expression in converters:
        value = values[column]
        for converter in found:
            value = converter(value, expression, connection)
        values[column] = value
    return values


class SnapshotQuery:
    """One kind of snapshot row (products by id, variants of products, ...), read as instances by
    ``load_instances``'s rule, with its SQL compiled once per process.

    Building and compiling a Django query costs more than running it for a page's few hundred rows. ``build(ids,
    now)`` is compiled by ``shop.services.compiled_queries.CompiledQuery`` (once per database and number of ids,
    with markers for the ids and, if ``uses_now``, the time; a query whose markers can't be placed is refused at
    its first read); the rows are made into instances here, converting columns with Django's own converters.
    Fields named in ``deferred`` (columns no reader of the snapshot shows, such as time stamps, whose parsing
    cost more than the rest of a row) are not read and stay deferred on the instances.
    """

    def __init__(self, model: type[models.Model], build: Callable[[list[int], datetime | None], QuerySet], *,
                 joined: dict[str, type[models.Model]] | None = None, annotations: tuple[str, ...] = (),
                 uses_now: bool = False, deferred: frozenset[str] = frozenset()):
        self.model, self.build, self.uses_now = model, build, uses_now
        self.shape = _RowShape(model, joined or {}, annotations, frozenset(deferred))
        self.query = CompiledQuery(self._values_list, read=self._reader,
                                   name=f"{model._meta.label} snapshot rows")

    def instances(self, ids: list[int], *, now: datetime | None = None) -> list:
        if not ids:
            return []
        if not self.uses_now:
            return self.query.run({"ids": list(ids)}, using=router.db_for_read(self.model))
        if now is None:
            raise ValueError("this query needs the time it is read at (now=)")
        return self.query.run({"ids": list(ids), "now": now}, using=router.db_for_read(self.model))

    def _values_list(self, *, ids: list[int], now: datetime | None = None) -> QuerySet:
        return self.build(ids, now).values_list(*self.shape.lookups)

    def _reader(self, compiler, queryset: QuerySet):
        if compiler.has_extra_select:
            raise ValueError(f"{self.model._meta.label} snapshot rows: extra() columns are not read")
        fields = [column[0] for column in compiler.select[:compiler.col_count]]
        converters = tuple((position, tuple(column_converters), expression)
                           for position, (column_converters, expression) in compiler.get_converters(fields).items())

        def instances(rows: list, connection) -> list:
            return self.shape.instances(rows, db=connection.alias, converters=converters, connection=connection)

        return instances
