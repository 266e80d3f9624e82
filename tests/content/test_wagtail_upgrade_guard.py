"""The Wagtail rules the content API copies as plain SQL, pinned by their source (an upgrade checklist item).

``content.api.page_query`` answers a request that may pass no view restriction in one statement written by hand:
it copies Wagtail's "pages an anonymous reader may see" (``get_public_pages_queryset``: live, in the request's
site, not at or below a restriction whose ``accept_request`` refuses such a reader, i.e. a password, login or
groups one, the subtree being ``descendant_of_q``'s path prefix) and Wagtail's site ranking
(``get_site_for_hostname``, reached from the request's host and port as ``Site._find_for_request`` reads them;
``content.api.page_lookup`` does the same). Wagtail builds the restriction rule in Python per request (one
``not_descendant_of`` per refusing restriction), so there is no single queryset to compile the SQL from.

``test_content_api_page_query.py`` and ``test_content_api_site_lookup.py`` compare the two answers for every
setup they know; this test fails when the installed Wagtail's copy of a rule changes at all, so an upgrade can't
change a rule those comparisons don't exercise. When it fails: read the changed function, make ``page_query`` (and
the site look-up in ``content.api.page_lookup``) follow it, run both comparison test files, then record the new hash here
(docs/architecture.md, "Upgrading Wagtail or Django").
"""

import hashlib
import inspect

from wagtail.api.querysets import get_public_pages_queryset
from wagtail.blocks import Block, StreamBlock, StructBlock
from wagtail.models import BaseViewRestriction, Site
from wagtail.models.sites import get_site_for_hostname
from wagtail.query import TreeQuerySet

from django.db.models import Field, Model, QuerySet, sql
from django.db.models.expressions import Col
from django.db.models.sql.compiler import SQLUpdateCompiler
from django.db.models.sql.subqueries import UpdateQuery

from content.api.page_query import _REFUSING_RESTRICTIONS
from shop.models import Order, OrderLine

# Recorded against Wagtail 8.0.1.
PINNED_SOURCES = {
    "wagtail.api.querysets.get_public_pages_queryset": "07720e18e660a7c5",
    "wagtail.models.view_restrictions.BaseViewRestriction.accept_request": "ec2f05cab94ddf2b",
    "wagtail.query.TreeQuerySet.descendant_of_q": "85b9a6ebb02db073",
    "wagtail.models.sites.get_site_for_hostname": "a6457f6fff48bb96",
    "wagtail.models.sites.Site._find_for_request": "a6f5ba5a68b3a8dd",
}


def _source_hash(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def test_the_wagtail_rules_the_content_api_copies_are_the_ones_it_was_written_against():
    functions = [get_public_pages_queryset, BaseViewRestriction.accept_request, TreeQuerySet.descendant_of_q,
                 get_site_for_hostname, Site._find_for_request]

    hashes = {f"{function.__module__}.{function.__qualname__}": _source_hash(function) for function in functions}

    assert hashes == PINNED_SOURCES


def test_every_restriction_type_but_none_refuses_an_anonymous_reader_in_the_copied_sql():
    types = [value for value, _label in BaseViewRestriction.RESTRICTION_CHOICES]

    assert types == [BaseViewRestriction.NONE, *_REFUSING_RESTRICTIONS]


# Recorded against Wagtail 8.0.1. ``content.blocks.ProductVariantStructBlock.api_representation_of_raw`` gives what a
# block converted by ``StructBlock.bulk_to_python`` (each field's present values converted, a missing one its default;
# ``to_python`` does the same per block) represents, and ``ArticleStreamBlock.get_api_representation`` builds each
# item as ``StreamBlock``'s does (type, value, id). When one changes, follow it there, run
# ``test_catalog_snapshot_output.py`` (raw and converted answers compared byte for byte), then record the new hash.
PINNED_STREAM_SOURCES = {
    "wagtail.blocks.struct_block.BaseStructBlock.to_python": "79e20da9da47a954",
    "wagtail.blocks.struct_block.BaseStructBlock.bulk_to_python": "3277fd5e74273c34",
    "wagtail.blocks.stream_block.BaseStreamBlock.get_api_representation": "105ebf177e42a4fc",
}


def test_the_wagtail_block_conversion_the_raw_representation_follows_is_the_one_it_was_written_against():
    functions = [StructBlock.to_python, StructBlock.bulk_to_python, StreamBlock.get_api_representation]

    hashes = {f"{function.__module__}.{function.__qualname__}": _source_hash(function) for function in functions}

    assert hashes == PINNED_STREAM_SOURCES


# Recorded against Wagtail 8.0.1. ``content.blocks`` is a package whose modules each name their blocks in
# ``DECONSTRUCT_ALIASES`` (``content.blocks.common.package_paths``), a convention ``Block.canonical_module_path`` reads:
# migrations then store ``content.blocks.<Name>``, the paths they always named, whichever module defines a block.
# When it changes, check that Wagtail still reads the aliases, run ``test_block_paths.py`` and
# ``makemigrations --check`` (a moved path is a migration of every StreamField), then record the new hash.
PINNED_BLOCK_PATH_SOURCES = {
    "wagtail.blocks.base.Block.canonical_module_path": "e29d6e6588155c68",
}


def test_the_wagtail_block_path_convention_content_blocks_use_is_the_one_they_were_written_against():
    functions = [Block.canonical_module_path.func]  # a cached_property: its function

    hashes = {f"{function.__module__}.{function.__qualname__}": _source_hash(function) for function in functions}

    assert hashes == PINNED_BLOCK_PATH_SOURCES


# Recorded against Django 5.2.19. ``shop.services.attached_rows.attach_prefetched`` (a paid order's lines, the catalog's
# product rows) sets Django's private queryset state: ``_result_cache`` and ``_prefetch_done`` (read by ``_fetch_all``),
# the instance's ``_prefetched_objects_cache`` (answered from by the related manager's ``get_queryset``) and
# ``_defer_next_filter`` (read by ``_filter_or_exclude``, its filter built by the ``query`` property). When one
# changes, check ``attach_prefetched`` still holds, run ``tests/shop/test_checkout.py`` (a paid order's kept lines)
# and ``test_catalog_speedups.py``, then record the new hash.
PINNED_DJANGO_PREFETCH_SOURCES = {
    "django.db.models.query.QuerySet.__init__": "35d93a4d074deed1",
    "django.db.models.query.QuerySet.query": "b3305eab408ba042",
    "django.db.models.query.QuerySet._filter_or_exclude": "6b5a7e9e7e91c21d",
    "django.db.models.query.QuerySet._fetch_all": "42566f1ae6d2e8e6",
    "django.db.models.fields.related_descriptors.create_reverse_many_to_one_manager.<locals>.RelatedManager"
    ".get_queryset": "9e559a8b1c4d177d",
}


def test_the_django_prefetch_state_attached_rows_set_is_the_one_they_were_written_against():
    functions = [QuerySet.__init__, QuerySet.query.fget, QuerySet._filter_or_exclude, QuerySet._fetch_all,
                 Order.lines.related_manager_cls.get_queryset]

    hashes = {f"{function.__module__}.{function.__qualname__}": _source_hash(function) for function in functions}

    assert hashes == PINNED_DJANGO_PREFETCH_SOURCES
    assert {"_result_cache", "_prefetch_done", "_defer_next_filter", "_deferred_filter"} <= vars(
        QuerySet(model=OrderLine)).keys()


# Recorded against Django 5.2.19. The buy flow's write path builds Django's own SQL outside its querysets' calls:
# ``shop.services.write_statements`` sets up an ``UpdateQuery`` as ``QuerySet.update`` does (``add_update_values``,
# ``related_updates`` from ``_setup_query``/``add_related_update``, the compiler's ``pre_sql_setup``), reads a
# ``WHERE``'s ``Col`` nodes (``target``, ``alias``) and turns a queryset's query into a ``DeleteQuery`` by swapping
# its class as ``QuerySet._raw_delete`` does; ``write_batches`` and ``compiled_inserts`` prepare new rows as
# ``bulk_create`` and ``save()`` do (``Model._prepare_related_fields_for_save``, ``Field.get_pk_value_on_save``);
# When one changes, check those modules still build what Django sends, run
# ``tests/shop/test_write_batches.py``, ``test_compiled_inserts.py``, ``test_buy_flow_queries.py`` and
# ``test_checkout.py``, then record the new hash.
PINNED_DJANGO_WRITE_SOURCES = {
    "django.db.models.sql.subqueries.UpdateQuery._setup_query": "36f75bd2c8b6df3b",
    "django.db.models.sql.subqueries.UpdateQuery.add_update_values": "b6dd3a9720052bea",
    "django.db.models.sql.subqueries.UpdateQuery.add_related_update": "08459c0996bba987",
    "django.db.models.sql.compiler.SQLUpdateCompiler.pre_sql_setup": "131dd44640a7bf95",
    "django.db.models.sql.subqueries.DeleteQuery": "a5919a2db7792255",
    "django.db.models.query.QuerySet._raw_delete": "e878941754cb71ab",
    "django.db.models.expressions.Col": "2fac65f5e167cc70",
    "django.db.models.base.Model._prepare_related_fields_for_save": "d6d6a4ed2512cbb5",
    "django.db.models.fields.Field.get_pk_value_on_save": "35406310d2ca0533",
}


def test_the_django_write_internals_the_buy_flows_write_path_uses_are_the_ones_it_was_written_against():
    functions = [UpdateQuery._setup_query, UpdateQuery.add_update_values, UpdateQuery.add_related_update,
                 SQLUpdateCompiler.pre_sql_setup, sql.DeleteQuery, QuerySet._raw_delete, Col,
                 Model._prepare_related_fields_for_save, Field.get_pk_value_on_save]

    hashes = {f"{function.__module__}.{function.__qualname__}": _source_hash(function) for function in functions}

    assert hashes == PINNED_DJANGO_WRITE_SOURCES
    update = UpdateQuery(Order)
    assert update.related_updates == {} and update.values == []
    assert isinstance(sql.DeleteQuery(Order), sql.Query)
    assert {"target", "alias"} <= vars(Col("shop_order", Order._meta.pk)).keys()
