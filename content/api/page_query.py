"""A page the content API has served before, read in one SQL statement built once per process.

Wagtail's detail lookup builds its "pages this request may see" queryset per request (the view
restrictions, the site's subtree), then the page query and the parent's; compiling those querysets cost
more than running them. For a request that may pass no view restriction (``may_pass_view_restrictions``
is False: it is anonymous as far as restrictions go), Wagtail's rule reduces to SQL the database can
answer alone, so the statement is the same for every such request and is built once per page model:

- the page is live, at or below the request's site root (``Site`` as Wagtail finds it for the request,
  passed in), and not at or below any page with a password, login or groups restriction (each of which
  refuses such a request; a ``none`` restriction accepts everyone);
- its parent, on the same terms (the API shows a parent only when it may serve it), as a plain ``Page``;
- the related rows the API shows with the page (``select_related``), each made into its model's
  instance with the database converters Django's compiler would apply;
- optionally the names of the page's tags (a django-taggit manager), aggregated into one JSON array column
  (``json_agg`` on PostgreSQL, ``json_group_array`` on SQLite): what ``prefetch_related`` would read for one
  page, without a second round trip.

The values are converted and assigned as Django's own queryset does (``Model.from_db``, each field's and
the backend's converters), so the instances are the ones the ORM would have made.
"""

import json
from dataclasses import dataclass

from django.db import connections
from wagtail.models import BaseViewRestriction, Locale, Page, PageViewRestriction, Site
from wagtail.models.sites import (
    MATCH_DEFAULT, MATCH_HOSTNAME, MATCH_HOSTNAME_DEFAULT, MATCH_HOSTNAME_PORT, SiteRootPath,
)

# Restrictions that refuse a request that has passed no password and has no signed-in user. This and the site
# ranking below copy Wagtail's rules: tests/content/test_wagtail_upgrade_guard.py fails when Wagtail changes them.
_REFUSING_RESTRICTIONS = (BaseViewRestriction.PASSWORD, BaseViewRestriction.LOGIN, BaseViewRestriction.GROUPS)


@dataclass(frozen=True)
class _Part:
    """One model instance made from a slice of the row: the model, its columns' attnames and converters."""

    model: type
    attnames: tuple[str, ...]
    converters: tuple[tuple, ...]  # per column: (the converter functions, the column expression)
    start: int
    via: tuple  # FK fields from the page to this instance (empty: the page itself)


@dataclass(frozen=True)
class _Plan:
    sql: str
    parts: tuple[_Part, ...]
    parent: _Part
    tag_names_at: int | None  # the column of the tag names' JSON array (None: not read)


_PLANS: dict[tuple, _Plan] = {}


def _quote(connection, name: str) -> str:
    return connection.ops.quote_name(name)


def _columns(connection, model, alias_of, start: int, via: tuple) -> tuple[list[str], _Part]:
    """``model``'s concrete columns, each read from the alias ``alias_of(its table's model)`` gives."""
    fields = model._meta.concrete_fields
    select = [f"{alias_of(field.model)}.{_quote(connection, field.column)}" for field in fields]
    converters = []
    for field in fields:
        column = field.get_col(field.model._meta.db_table)
        converters.append((tuple(connection.ops.get_db_converters(column) + field.get_db_converters(connection)), column))
    part = _Part(model=model, attnames=tuple(field.attname for field in fields), converters=tuple(converters),
                 start=start, via=via)
    return select, part


def _in_site_and_public(connection, alias: str) -> str:
    """The SQL condition Wagtail's public pages queryset puts on the page ``alias`` for a request passing no
    view restriction (parameters: live, the site root path's length, the site root path, the three refusing
    restriction types)."""
    q = lambda name: _quote(connection, name)  # noqa: E731
    path = f"{alias}.{q('path')}"
    return (
        f"{alias}.{q('live')} = %s AND SUBSTR({path}, 1, CAST(%s AS INTEGER)) = %s AND NOT EXISTS ("
        f"SELECT 1 FROM {q(PageViewRestriction._meta.db_table)} vr "
        f"INNER JOIN {q(Page._meta.db_table)} vrp ON vrp.{q('id')} = vr.{q('page_id')} "
        f"WHERE vr.{q('restriction_type')} IN (%s, %s, %s) AND SUBSTR({path}, 1, LENGTH(vrp.{q('path')})) = vrp.{q('path')})"
    )


def _page_alias(model) -> str:
    return "p" if model is Page else f"p_{model._meta.db_table}"


# The tag names of one page as a JSON array (text), "[]" without tags, per database vendor.
_JSON_ARRAY_OF_NAMES = {
    "postgresql": "COALESCE(json_agg({name})::text, '[]')",
    "sqlite": "json_group_array({name})",
}


def _tag_names_column(connection, page_class, field_name: str) -> str:
    """A scalar subquery: the names of the tags of the page ``p`` (``field_name``, a django-taggit manager)."""
    field = page_class._meta.get_field(field_name)
    if field.use_gfk:
        raise ValueError(f"{field_name}: tags through a generic foreign key are not read by this statement")
    if connection.vendor not in _JSON_ARRAY_OF_NAMES:
        raise ValueError(f"{connection.vendor}: no JSON array aggregate known for the tag names")
    q = lambda name: _quote(connection, name)  # noqa: E731
    tag_model = field.remote_field.model
    names = _JSON_ARRAY_OF_NAMES[connection.vendor].format(name=f"t.{q(tag_model._meta.get_field('name').column)}")
    return (
        f"(SELECT {names} FROM {q(tag_model._meta.db_table)} t "
        f"INNER JOIN {q(field.m2m_db_table())} x ON x.{q(field.m2m_reverse_name())} = t.{q(tag_model._meta.pk.column)} "
        f"WHERE x.{q(field.m2m_column_name())} = p.{q('id')})"
    )


def _build_plan(connection, page_class, related: tuple[str, ...], tag_names_of: str | None) -> _Plan:
    q = lambda name: _quote(connection, name)  # noqa: E731
    joins = [
        f"INNER JOIN {q(ancestor._meta.db_table)} {_page_alias(ancestor)} "
        f"ON {_page_alias(ancestor)}.{q(ancestor._meta.pk.column)} = p.{q('id')}"
        for ancestor in [page_class, *page_class._meta.get_parent_list()] if ancestor is not Page
    ]
    select, page_part = _columns(connection, page_class, _page_alias, 0, ())
    parts = [page_part]
    aliases: dict[tuple, str] = {}
    for path in related:
        owner_alias, via = None, ()
        owner = page_class
        for name in path.split("__"):
            field = owner._meta.get_field(name)
            via = (*via, field)
            related_model = field.related_model
            if via not in aliases:
                if related_model._meta.parents:
                    raise ValueError(f"{related_model.__name__} has parent models: this plan reads one table per model")
                alias = aliases[via] = f"r{len(aliases)}"
                source = owner_alias or _page_alias(field.model)
                joins.append(f"LEFT OUTER JOIN {q(related_model._meta.db_table)} {alias} "
                             f"ON {alias}.{q(field.target_field.column)} = {source}.{q(field.column)}")
                columns, part = _columns(connection, related_model, lambda model, alias=alias: alias, len(select), via)
                select += columns
                parts.append(part)
            owner, owner_alias = related_model, aliases[via]
    parent_columns, parent_part = _columns(connection, Page, lambda model: "pp", len(select), ())
    select += parent_columns
    tag_names_at = None
    if tag_names_of is not None:
        tag_names_at = len(select)
        select.append(_tag_names_column(connection, page_class, tag_names_of))
    joins.append(f"LEFT OUTER JOIN {q(Page._meta.db_table)} pp ON p.{q('depth')} > 1 "
                 f"AND pp.{q('path')} = SUBSTR(p.{q('path')}, 1, LENGTH(p.{q('path')}) - CAST(%s AS INTEGER)) "
                 f"AND {_in_site_and_public(connection, 'pp')}")
    sql = (f"SELECT {', '.join(select)} FROM {q(Page._meta.db_table)} p {' '.join(joins)} "
           f"WHERE p.{q('id')} = %s AND {_in_site_and_public(connection, 'p')}")
    return _Plan(sql=sql, parts=tuple(parts), parent=parent_part, tag_names_at=tag_names_at)


def _plan(connection, page_class, related: tuple[str, ...], tag_names_of: str | None) -> _Plan:
    key = (connection.alias, connection.vendor, page_class, related, tag_names_of)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _PLANS[key] = _build_plan(connection, page_class, related, tag_names_of)
    return plan


def _instance(connection, part: _Part, row) -> object | None:
    values = list(row[part.start:part.start + len(part.attnames)])
    if part.via and values[0] is None:  # a null foreign key: no row joined
        return None
    for index, (functions, expression) in enumerate(part.converters):
        value = values[index]
        for function in functions:
            value = function(value, expression, connection)
        values[index] = value
    return part.model.from_db(connection.alias, part.attnames, values)


def read_public_page(page_class, pk: int, *, site_root_path: str, related: tuple[str, ...] = (),
                     tag_names_of: str | None = None, using: str = "default"):
    """The live ``page_class`` page ``pk`` at or below ``site_root_path`` that a request passing no view
    restriction may read, with ``related`` rows attached and its parent as the API may show it
    (``api_parent``: a ``Page`` or None); None when there is no such page. With ``tag_names_of`` (a
    django-taggit manager's name), the names of its tags too, unordered (``api_tag_names``: the API's
    ``content.api.fields.TagNamesField`` reads them)."""
    connection = connections[using]
    plan = _plan(connection, page_class, related, tag_names_of)
    public = [True, len(site_root_path), site_root_path, *_REFUSING_RESTRICTIONS]
    params = [page_class.steplen, *public, pk, *public]
    with connection.cursor() as cursor:
        cursor.execute(plan.sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    page = _instance(connection, plan.parts[0], row)
    instances = {(): page}
    for part in plan.parts[1:]:
        owner = instances[part.via[:-1]]
        related_instance = _instance(connection, part, row) if owner is not None else None
        if owner is not None:  # (a null foreign key leaves nothing to attach below it)
            part.via[-1].set_cached_value(owner, related_instance)
        instances[part.via] = related_instance
    page.api_parent = _instance(connection, plan.parent, row) if row[plan.parent.start] is not None else None
    if plan.tag_names_at is not None:
        page.api_tag_names = json.loads(row[plan.tag_names_at])
    return page


_SITE_SQL: dict[tuple, tuple] = {}


def site_for_host(hostname: str, port: int, *, using: str = "default") -> tuple[Site, str] | None:
    """The site Wagtail's ``get_site_for_hostname(hostname, port)`` answers with, and its root page's tree path;
    None where it raises ``Site.DoesNotExist``. ``tests/content/test_content_api_site_lookup.py`` pins the two
    together for every way sites can be set up."""
    return sites_for_host(hostname, port, using=using)[0]


def sites_for_host(hostname: str, port: int, *,
                   using: str = "default") -> tuple[tuple[Site, str] | None, list[SiteRootPath]]:
    """``site_for_host``'s answer and the site root paths Wagtail's ``Site.get_site_root_paths()`` builds
    (without ``WAGTAIL_I18N_ENABLED``: one per site, in its order), from one plain statement over every site and
    its root page: a cold cache reads both, and Wagtail's own read of the root paths compiles a queryset per miss.
    The host's candidates (its sites and the default one) are ranked as Wagtail ranks them."""
    connection = connections[using]
    key = (connection.alias, connection.vendor)
    if key not in _SITE_SQL:
        q = lambda name: _quote(connection, name)  # noqa: E731
        select, part = _columns(connection, Site, lambda model: "s", 0, ())
        _SITE_SQL[key] = (
            f"SELECT {', '.join(select)}, r.{q('path')}, r.{q('url_path')}, l.{q('language_code')} "
            f"FROM {q(Site._meta.db_table)} s "
            f"INNER JOIN {q(Page._meta.db_table)} r ON r.{q('id')} = s.{q('root_page_id')} "
            f"INNER JOIN {q(Locale._meta.db_table)} l ON l.{q('id')} = r.{q('locale_id')} "
            # Wagtail's order for the root paths: order_by("-root_page__url_path", "-is_default_site", "hostname")
            f"ORDER BY r.{q('url_path')} DESC, s.{q('is_default_site')} DESC, s.{q('hostname')} ASC", part)
    sql, part = _SITE_SQL[key]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    every_site = [(_instance(connection, part, row), *row[-3:]) for row in rows]
    root_paths = [SiteRootPath(site.id, url_path, site.root_url, language_code)
                  for site, _path, url_path, language_code in every_site]
    candidates = [(site, path) for site, path, _url_path, _language_code in every_site
                  if site.hostname == hostname or site.is_default_site]
    return _ranked_site(candidates, hostname, port), root_paths


def _ranked_site(sites: list[tuple[Site, str]], hostname: str, port: int) -> tuple[Site, str] | None:
    """Wagtail's ``get_site_for_hostname`` choice among the host's candidate sites (with their root paths)."""

    def rank(site_and_path) -> int:  # Wagtail's MATCH_HOSTNAME_PORT, MATCH_HOSTNAME_DEFAULT, MATCH_DEFAULT, MATCH_HOSTNAME
        site = site_and_path[0]
        if site.hostname == hostname and site.port == port:
            return MATCH_HOSTNAME_PORT
        if site.hostname == hostname and site.is_default_site:
            return MATCH_HOSTNAME_DEFAULT
        return MATCH_DEFAULT if site.is_default_site else MATCH_HOSTNAME

    sites = sorted(sites, key=rank)
    if not sites:
        return None
    if len(sites) == 1 or rank(sites[0]) in (MATCH_HOSTNAME_PORT, MATCH_HOSTNAME_DEFAULT):
        return sites[0]
    if rank(sites[0]) == MATCH_DEFAULT:
        return sites[len(sites) == 2]
    return None
