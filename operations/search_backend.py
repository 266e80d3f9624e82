"""The admin's search backend: Wagtail's database backend, with SQLite's FTS5 quoting made safe.

modelsearch's SQLite backend wraps each search term in double quotes for FTS5 but does not double the
quotes inside a term, so a term such as ``'";--`` ends the string early and FTS5 raises a syntax error
(a 500 on every admin listing and chooser search). Inside an FTS5 string a ``"`` is written ``""``;
this backend does that before the query is compiled. PostgreSQL and the fallback backend pass
terms as parameters and need nothing.

Settings: ``WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "operations.search_backend"}}``.
"""

from functools import cache

from modelsearch.backends.database import SearchBackend as database_search_backend
from modelsearch.query import Phrase, PlainText


def fts5_quoted(query):
    """``query`` with every ``"`` inside its terms doubled, as FTS5 strings require."""
    if isinstance(query, PlainText):
        return PlainText(query.query_string.replace('"', '""'), operator=query.operator, boost=query.boost)
    if isinstance(query, Phrase):
        return Phrase(query.query_string.replace('"', '""'))
    return query


def SearchBackend(params):  # noqa: N802 - Wagtail looks this name up in the backend module
    backend = database_search_backend(params)
    if type(backend).__module__.endswith(".sqlite.sqlite"):
        query_compiler, autocomplete_compiler = quoted_sqlite_compilers()
        backend.query_compiler_class = query_compiler
        backend.autocomplete_query_compiler_class = autocomplete_compiler
    return backend


@cache
def quoted_sqlite_compilers():
    """The SQLite compilers with FTS5 quoting; imported only on SQLite (their module loads a model that
    exists only there)."""
    from modelsearch.backends.database.sqlite.sqlite import (
        SQLiteAutocompleteQueryCompiler,
        SQLiteSearchQueryCompiler,
    )

    class QuotedSQLiteSearchQueryCompiler(SQLiteSearchQueryCompiler):
        def build_search_query_content(self, query, config=None):
            return super().build_search_query_content(fts5_quoted(query), config=config)

    class QuotedSQLiteAutocompleteQueryCompiler(SQLiteAutocompleteQueryCompiler):
        def build_search_query_content(self, query, config=None):
            return super().build_search_query_content(fts5_quoted(query), config=config)

    return QuotedSQLiteSearchQueryCompiler, QuotedSQLiteAutocompleteQueryCompiler
