"""shop.services.bound_cursors keeps each connection wrapper's cursor by the wrapper's id, with a weak reference to
the wrapper: a new wrapper that reuses a dead wrapper's id (CPython reuses freed addresses) gets a cursor of its own,
never the dead one's, and the dead wrapper's late clean-up leaves the new wrapper's entry alone."""

import gc
import weakref

import pytest
from django.db import connections

from shop.services import bound_cursors
from shop.services.bound_cursors import bound_cursor
from tests.shop.conftest import skip_unless_postgres

pytestmark = pytest.mark.django_db


def _dead_wrapper_reference() -> weakref.ref:
    """A weak reference to a connection wrapper that was used and then collected."""
    dead = connections.create_connection("default")
    with bound_cursor(dead) as cursor:
        cursor.execute("SELECT 1")
    dead.close()
    reference = weakref.ref(dead)
    del dead, cursor
    gc.collect()
    assert reference() is None
    return reference


def test_a_new_wrapper_under_a_dead_wrappers_id_gets_a_cursor_of_its_own():
    skip_unless_postgres()
    wrapper = connections["default"]
    wrapper.ensure_connection()
    # The dead wrapper's entry, still under the id the new wrapper now has, with a cursor that would pass every other
    # check (the same psycopg connection and time zone, open, not in use): only the weak reference tells them apart.
    stale = bound_cursors._KeptCursor(wrapper)
    bound_cursors._kept[id(wrapper)] = (_dead_wrapper_reference(), stale)

    with bound_cursor(wrapper) as cursor:
        cursor.execute("SELECT %s", ["ours"])
        rows = cursor.fetchall()
        used = cursor.cursor

    entry = bound_cursors._kept[id(wrapper)]
    assert rows == [("ours",)]
    assert used is not stale.cursor and entry[1] is not stale and entry[0]() is wrapper
    stale.cursor.close()


def test_a_dead_wrappers_late_clean_up_leaves_the_new_wrappers_entry():
    skip_unless_postgres()
    wrapper = connections["default"]
    with bound_cursor(wrapper) as cursor:
        cursor.execute("SELECT 1")
    entry = bound_cursors._kept[id(wrapper)]

    bound_cursors._forget(id(wrapper))(_dead_wrapper_reference())  # the dead wrapper's callback, run late

    assert bound_cursors._kept[id(wrapper)] is entry
