"""``ArrayIn``: a compiled query's id list reaches PostgreSQL as one array parameter (``= ANY(%s)``), so psycopg
parses its SQL once per process; other databases get ``IN (...)``. Answers match ``pk__in`` either way."""

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from shop.models import Variant
from shop.services.compiled_queries import ArrayIn, compiled
from tests.shop.helpers import variant_with_stock

pytestmark = pytest.mark.django_db


def _skus(ids_query):
    return compiled(lambda *, ids: Variant.objects.filter(ids_query(ids)).order_by("pk").values_list("sku", flat=False))


def test_an_array_in_answers_as_pk_in_for_each_calls_own_ids():
    hp1, hp2, hp3 = (variant_with_stock(f"HP-{number}") for number in (1, 2, 3))
    by_array = _skus(lambda ids: ArrayIn(F("pk"), ids))
    calls = [[hp1.pk, hp3.pk], [hp2.pk, hp3.pk], [hp3.pk, 0], [hp2.pk], []]

    answers = [by_array(ids=ids) for ids in calls]

    assert answers == [[("HP-1",), ("HP-3",)], [("HP-2",), ("HP-3",)], [("HP-3",)], [("HP-2",)], []]
    assert answers == [list(Variant.objects.filter(pk__in=ids).order_by("pk").values_list("sku")) for ids in calls]


@pytest.mark.postgres
def test_postgresql_gets_one_array_parameter_and_the_same_sql_for_every_list():
    hp1, hp2 = variant_with_stock("HP-1"), variant_with_stock("HP-2")
    by_array = _skus(lambda ids: ArrayIn(F("pk"), ids))
    ids = [hp1.pk, hp2.pk] + list(range(10_000, 10_100))  # more ids than psycopg caches a query's parse for

    with CaptureQueriesContext(connection) as first:
        assert by_array(ids=ids) == [("HP-1",), ("HP-2",)]
    with CaptureQueriesContext(connection) as second:
        assert by_array(ids=list(reversed(ids))) == [("HP-1",), ("HP-2",)]

    sql = first.captured_queries[0]["sql"]
    assert '"shop_variant"."id" = ANY(' in sql and " IN (" not in sql
    assert len(second.captured_queries) == 1
    assert len(by_array.query.plans) == 1


def test_an_array_in_that_django_alters_is_still_refused():
    variant_with_stock("HP-1")
    # A list whose items reach the SQL changed (here as strings for a LIKE) is no marker: refused at first compile.
    altered = compiled(lambda *, ids: Variant.objects.filter(ArrayIn(F("sku"), [f"{item}%" for item in ids])))

    with pytest.raises(ValueError, match="reached the SQL altered"):
        altered(ids=["HP"])


def test_an_array_in_given_a_subquery_keeps_its_sql_and_answers_as_pk_in():
    hp1, hp2 = variant_with_stock("HP-1"), variant_with_stock("HP-2")
    only_hp2 = Variant.objects.filter(sku="HP-2").values("pk")

    answer = list(Variant.objects.filter(ArrayIn(F("pk"), only_hp2)).values_list("sku", flat=True))

    assert answer == ["HP-2"]
    assert hp1.pk != hp2.pk
