"""The brand report's statements are built and compiled once per process and shape (``creators.reports.compiled``,
``shop.services.compiled_queries``): every report gives the figures the ORM builds for its own values (brands, date
windows with and without today's live part, filters, groupings, the folded "Other" row), and a report run again
compiles nothing."""

from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from creators.models import CreatorProfile, TrackedLink
from creators.reports.grouping_sets import CompiledAggregate, aggregate_by_sets
from creators.reports.queries import ReportFilters, build_report, today_utc
from creators.reports.rollup import roll_up
from shop.services.compiled_queries import CompiledQuery
from tests.creators.report_fixtures import (
    DAY, add_clicks, add_lamp_order, add_two_brand_and_direct_orders, add_views, build_world,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    """The hand-counted week rolled up, and today (live, not rolled up): views, clicks of both brands, and an order
    of both brands' products with an unattributed one."""
    world = add_lamp_order(build_world())
    roll_up()
    now = timezone.now()
    add_views(world.guide_id, world.creator.pk, 4, when=now, prefix="today")
    add_clicks(TrackedLink.objects.get(code="acme-blk"), 3, when=now)
    add_clicks(TrackedLink.objects.get(code="glbx-blk"), 2, when=now)
    add_two_brand_and_direct_orders(world, at_time=now)
    return world


def _filters(world) -> list[ReportFilters]:
    today, day = today_utc(), DAY.date()
    acme, globex = world.acme_product.brand_id, world.globex_product.brand_id
    windows = [(day - timedelta(days=3), today), (day, day), (today, today), (day - timedelta(days=1), day + timedelta(days=2))]
    cases = [ReportFilters(start=start, end=end, brand_ids=brands, group_by=group_by)
             for start, end in windows
             for brands in (frozenset({acme}), frozenset({globex}), frozenset({acme, globex}), None)
             for group_by in ("creator", "product")]
    return [*cases, *(ReportFilters(start=windows[0][0], end=today, brand_ids=frozenset({acme}), **options) for options in (
        {"group_by": "block"}, {"group_by": "day"}, {"group_by": "page"}, {"creator_id": world.creator.pk},
        {"product_id": world.acme_product.pk}, {"page_id": world.guide_id, "group_by": "block"},
        {"creator_id": world.creator.pk, "group_by": "day"})),
        ReportFilters(start=windows[0][0], end=today, brand_ids=frozenset()),  # a brand user with no brand
    ]


def _figures(report) -> tuple:
    def row(row) -> tuple:
        return (row.key, row.label, row.currency, row.views, row.clicks, row.add_to_carts, row.orders, row.units,
                row.gmv, row.refunds, row.commission, row.folded)
    return ([row(item) for item in report.rows], [row(item) for item in report.totals],
            [row(item) for item in report.daily])


def _orm_built(monkeypatch):
    """Every report statement built and compiled by the ORM for the call's own values, as before compiling once."""
    monkeypatch.setattr(CompiledQuery, "run", lambda self, values, *, using: list(self.build(**values).using(using)))
    monkeypatch.setattr(CompiledAggregate, "run", lambda self, **values: aggregate_by_sets(
        self.build(**values), self.sets, self.aggregates()))


def test_compiled_reports_give_the_figures_the_orm_builds_for_each_call(world, monkeypatch):
    cases = _filters(world)
    for filters in cases:  # each shape compiled once, with another call's values
        build_report(filters)

    compiled = [_figures(build_report(filters)) for filters in cases]
    with monkeypatch.context() as patched:
        _orm_built(patched)
        built = [_figures(build_report(filters)) for filters in cases]

    assert compiled == built
    # The cases read what they are meant to: today's live part, both brands, the folded row, an empty report.
    by_case = dict(zip(cases, compiled))
    today_only = by_case[ReportFilters(start=today_utc(), end=today_utc(), brand_ids=frozenset(
        {world.acme_product.brand_id, world.globex_product.brand_id}))]
    assert [(total[4], total[6], total[8]) for total in today_only[1]] == [(5, 2, 300)]  # clicks, orders, GMV
    assert any(row[-1] for rows, _totals, _daily in compiled for row in rows)  # an "Other" row
    assert compiled[-1] == ([], [], [])


@pytest.fixture
def compiles(monkeypatch) -> Counter:
    """Django's SELECT compiles (subqueries included), by model."""
    compiler = connection.ops.compiler("SQLCompiler")
    as_sql, counted = compiler.as_sql, Counter()

    def counting_as_sql(self, *args, **kwargs):
        counted[self.query.model.__name__ if self.query.model else "-"] += 1
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(compiler, "as_sql", counting_as_sql)
    return counted


def test_a_report_run_again_compiles_nothing(world, compiles):
    today = today_utc()
    with_today = ReportFilters(start=today - timedelta(days=89), end=today,
                               brand_ids=frozenset({world.acme_product.brand_id}))
    other_brand = ReportFilters(start=today - timedelta(days=30), end=today, group_by="product",
                                brand_ids=frozenset({world.globex_product.brand_id}))
    first = [_figures(build_report(filters)) for filters in (with_today, other_brand)]
    compiles.clear()

    again = [_figures(build_report(filters)) for filters in (with_today, other_brand)]

    assert again == first
    assert compiles == Counter()
    list(CreatorProfile.objects.filter(pk=world.creator.pk))
    assert compiles == Counter({"CreatorProfile": 1})  # the spy sees what Django compiles


@pytest.mark.parametrize("folded_days", [20, 366])
def test_a_year_grouped_by_day_with_a_folded_row_for_every_day_answers_as_the_orm(world, folded_days):
    # A small brand's year by day folds hundreds of days into "Other": each is a (day, currency) key of the fold's
    # query. From 182 of them two of its date markers fell on the same day and the report was refused (a 500).
    from creators.reports import compiled, figures

    acme = world.acme_product.brand_id
    start = DAY.date() - timedelta(days=folded_days - 1)
    scope = figures.Scope(start=start, end=DAY.date(), brand_ids=frozenset({acme}))
    keys = {(start + timedelta(days=offset), "USD") for offset in range(folded_days)}
    query = compiled.source("rolled_facts", [("day", "currency")], figures.order_figures,
                            only_columns=("day", "currency"))

    answer = query.run(**figures.scope_values(scope), **compiled.keys_values(keys))

    built = compiled._only_keys(compiled.rolled_facts, ("day", "currency"))(
        **figures.scope_values(scope), **compiled.keys_values(keys))
    expected = list(built.values("day", "currency").annotate(**figures.order_figures()).order_by())
    assert sorted(answer[("day", "currency")], key=str) == sorted(expected, key=str)
    assert expected  # the hand-counted week's day is among the keys


def test_two_aggregates_over_the_same_source_and_scope_are_compiled_apart(world):
    # The same source, sets and scope summed two ways (the facts' distinct orders, the daily sums' marks): each
    # compiled source answers with its own figures, and asking again for either gives the one already compiled.
    from creators.reports import compiled, figures

    scope = figures.Scope(start=DAY.date() - timedelta(days=3), end=DAY.date(),
                          brand_ids=frozenset({world.acme_product.brand_id}))
    sets = [("day", "currency")]
    by_order, by_marks = figures.order_figures, compiled.sales_sums(("orders_by_brand",))

    answers = {aggregates: compiled.source("rolled_facts", sets, aggregates).run(**figures.scope_values(scope))
               for aggregates in (by_order, by_marks)}

    for aggregates, answer in answers.items():
        built = compiled.rolled_facts(**figures.scope_values(scope))
        expected = list(built.values(*sets[0]).annotate(**aggregates()).order_by())
        assert sorted(answer[sets[0]], key=str) == sorted(expected, key=str)
    assert {"orders"} <= set(answers[by_order][sets[0]][0]) and "orders_by_brand" not in answers[by_order][sets[0]][0]
    assert {"orders_by_brand"} <= set(answers[by_marks][sets[0]][0]) and "orders" not in answers[by_marks][sets[0]][0]
    assert compiled.source("rolled_facts", sets, compiled.sales_sums(("orders_by_brand",))) is compiled.source(
        "rolled_facts", sets, by_marks)
