"""``built_once``: a hand-written statement is built once per process for each database (alias and vendor) and
shape, for the database it is sent to."""

from types import SimpleNamespace

import pytest

from shop.services import built_statements
from shop.services.built_statements import built_once
from shop.services.cart_locks import _checkout_sql


def _database(alias: str, vendor: str, quote: str = '"') -> SimpleNamespace:
    return SimpleNamespace(alias=alias, vendor=vendor, ops=SimpleNamespace(quote_name=lambda name: quote + name + quote))


@pytest.fixture(autouse=True)
def _no_statements_built(monkeypatch):
    monkeypatch.setattr(built_statements, "_built", {})


def test_a_statement_is_built_once_per_database_and_shape_with_that_databases_quoting_and_vendor():
    calls = []

    def build(quote, vendor):
        calls.append(vendor)
        return f"SELECT {quote('id')} -- {vendor}"

    default, replica, mysql = _database("default", "postgresql"), _database("replica", "sqlite"), _database(
        "default", "mysql", quote="`")

    answers = [built_once(default, ("shape",), build), built_once(default, ("shape",), build),
               built_once(replica, ("shape",), build), built_once(mysql, ("shape",), build),
               built_once(default, ("other shape",), build), built_once(replica, ("shape",), build)]

    assert answers == ['SELECT "id" -- postgresql', 'SELECT "id" -- postgresql', 'SELECT "id" -- sqlite',
                       "SELECT `id` -- mysql", 'SELECT "id" -- postgresql', 'SELECT "id" -- sqlite']
    assert calls == ["postgresql", "sqlite", "mysql", "postgresql"]


def test_the_carts_checkout_count_takes_the_larger_value_as_the_database_it_is_built_for_writes_it():
    """Built for each database by its own vendor, not by the default connection's (the tests' SQLite or
    PostgreSQL): SQLite's two-argument ``MAX``, PostgreSQL's ``GREATEST``."""
    build = lambda quote, vendor: _checkout_sql(quote, vendor, key="id", locks="")  # noqa: E731

    on_postgresql = built_once(_database("default", "postgresql"), ("lock cart for checkout", "id", ""), build)
    on_sqlite = built_once(_database("other", "sqlite"), ("lock cart for checkout", "id", ""), build)

    assert "GREATEST(" in on_postgresql and "MAX(" not in on_postgresql
    assert "MAX(" in on_sqlite and "GREATEST(" not in on_sqlite
