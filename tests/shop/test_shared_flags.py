"""A shared yes/no flag (``shop.services.shared_flags.SharedFlag``) is never wrongly "no": not when a reader
fills it from rows a writer has not committed yet, not when the key is evicted, not when the cache is down."""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase
from hypothesis import given, settings as hypothesis_settings, strategies as st

from operations import cache_guard
from shop.services.shared_flags import SharedFlag

pytestmark = pytest.mark.django_db

KEY = "kolshop-test:shared-flag"


class Rows:
    """What the database would answer, and how often it was asked."""

    def __init__(self, answer: bool = False) -> None:
        self.answer = answer
        self.asked = 0

    def ask(self) -> bool:
        self.asked += 1
        return self.answer


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


def _failing(monkeypatch, *names):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")
    for name in names:
        monkeypatch.setattr(cache, name, down)


def test_a_reader_fills_the_flag_once_and_later_readers_ask_only_the_cache():
    rows = Rows(answer=False)
    flag = SharedFlag(KEY, ask_database=rows.ask, timeout=None)

    answers = [flag.read(), flag.read(), flag.read()]

    assert (answers, rows.asked, cache.get(KEY)) == ([False, False, False], 1, False)


def test_with_the_cache_down_every_reader_gets_the_databases_answer(monkeypatch):
    """(``operations.cache_guard``: a failed call is not retried for a moment; the reader asks the database.)"""
    rows = Rows(answer=True)
    flag = SharedFlag(KEY, ask_database=rows.ask, timeout=300)
    _failing(monkeypatch, "get", "add")

    assert ([flag.read(), flag.read()], rows.asked) == ([True, True], 2)


def test_a_cache_that_answers_but_refuses_the_fill_still_gives_the_databases_answer(monkeypatch):
    rows = Rows(answer=True)
    flag = SharedFlag(KEY, ask_database=rows.ask, timeout=300)
    _failing(monkeypatch, "add")

    assert (flag.read(), rows.asked) == (True, 1)


def test_set_says_yes_at_once_and_again_after_the_commit(django_capture_on_commit_callbacks):
    rows = Rows(answer=False)
    flag = SharedFlag(KEY, ask_database=rows.ask, timeout=None)
    assert flag.read() is False  # a cached "no"

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        flag.set()
        during = flag.read()
        cache.delete(KEY)  # evicted: a reader fills it from rows not yet committed
        stale = flag.read()
        rows.answer = True  # the writer's rows commit

    assert (during, stale, len(callbacks), flag.read()) == (True, False, 1, True)


def test_a_rolled_back_set_leaves_a_harmless_yes():
    rows = Rows(answer=False)
    flag = SharedFlag(KEY, ask_database=rows.ask, timeout=None)

    with transaction.atomic():
        sid = transaction.savepoint()
        flag.set()
        transaction.savepoint_rollback(sid)

    assert (flag.read(), rows.asked) == (True, 0)


def test_drop_forgets_the_flag_only_once_the_commit_happened(django_capture_on_commit_callbacks):
    rows = Rows(answer=True)
    flag = SharedFlag(KEY, ask_database=rows.ask, timeout=None)
    flag.set()

    with django_capture_on_commit_callbacks(execute=True):
        flag.drop()
        before_commit = cache.get(KEY)
        rows.answer = False

    assert (before_commit, cache.get(KEY), flag.read(), rows.asked) == (True, None, False, 1)


def test_a_rolled_back_drop_keeps_the_flag():
    flag = SharedFlag(KEY, ask_database=Rows(answer=True).ask, timeout=None)
    flag.set()

    with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
        flag.drop()
    # the test's transaction never commits: the callback is what a rollback discards

    assert (len(callbacks), cache.get(KEY)) == (1, True)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_set_and_drop_act_at_once():
    rows = Rows(answer=False)
    flag = SharedFlag(KEY, ask_database=rows.ask, timeout=None)

    flag.set()
    set_now = cache.get(KEY)
    flag.drop()

    assert (set_now, cache.get(KEY)) == (True, None)


def _cache_back() -> None:
    """The cache answers again and this process's pause after the failure is over (what it owes, it still owes)."""
    cache_guard._breaker.down_until = 0.0


def test_a_set_the_cache_did_not_take_is_owed_and_the_change_stands(monkeypatch, django_capture_on_commit_callbacks):
    flag = SharedFlag(KEY, ask_database=Rows(answer=True).ask, timeout=None)
    cache.set(KEY, False)  # a "no" cached before the outage
    _failing(monkeypatch, "set")
    flag.set()  # no error: the change goes on

    monkeypatch.undo()
    _cache_back()
    assert cache.get(KEY) is False  # the lost set owes a delete: this process's next use pays it first
    assert (flag.read(), cache.get(KEY)) == (True, True)  # asked the database, not the stale key

    with django_capture_on_commit_callbacks(execute=True):
        flag.set()
        _failing(monkeypatch, "set", "delete")
        flag.drop()  # lost after the commit: "yes" stays, harmless

    monkeypatch.undo()
    _cache_back()
    assert cache.get(KEY) is True


def test_a_no_is_kept_a_minute_and_a_yes_as_long_as_asked(monkeypatch):
    kept = []
    real_add = cache.add
    monkeypatch.setattr(cache, "add", lambda key, value, timeout=None: kept.append((value, timeout))
                        or real_add(key, value, timeout=timeout))
    rows = Rows(answer=False)
    SharedFlag(KEY, ask_database=rows.ask, timeout=None).read()
    cache.delete(KEY)
    rows.answer = True
    SharedFlag(KEY, ask_database=rows.ask, timeout=None).read()
    cache.delete(KEY)
    SharedFlag(KEY, ask_database=Rows(answer=False).ask, timeout=30).read()

    assert kept == [(False, 60), (True, None), (False, 30)]


def test_while_the_process_saw_the_cache_fail_reads_ask_the_database(monkeypatch):
    rows = Rows(answer=True)
    flag = SharedFlag(KEY, ask_database=rows.ask, timeout=None)
    _failing(monkeypatch, "get")
    assert flag.read() is True
    monkeypatch.undo()  # back, but this process saw it fail a moment ago (operations.cache_guard.RETRY_SECONDS)

    assert (flag.read(), rows.asked) == (True, 2)


# The property: whatever order a reader's three steps (read the key, ask the database, add its answer) and a
# writer's two (set now; commit, then set again) run in, with the key evicted anywhere, once the writer's commit
# and its callbacks are done every read says "yes".
PHASES = 4  # before the reader's get, between get and asking the database, between asking and add, after add


@hypothesis_settings(max_examples=300, deadline=None)
@given(set_at=st.integers(0, PHASES - 1), commit_after=st.integers(0, PHASES - 1),
       evict_at=st.sets(st.integers(0, PHASES - 1)), cached_before=st.sampled_from([None, False]))
def test_once_a_yes_is_committed_no_interleaving_leaves_a_no(set_at, commit_after, evict_at, cached_before):
    cache.clear()
    if cached_before is not None:
        cache.set(KEY, cached_before)
    commit_at = min(PHASES - 1, set_at + commit_after)
    rows = Rows(answer=False)
    pending: list = []
    done: set[int] = set()

    def run_phase(phase: int) -> None:
        if phase in done:
            return
        done.add(phase)
        if phase == set_at:
            with TestCase.captureOnCommitCallbacks(execute=False) as callbacks:
                flag.set()
            pending.extend(callbacks)
        if phase in evict_at:
            cache.delete(KEY)
        if phase == commit_at:
            rows.answer = True
            for callback in pending:
                callback()

    def ask_database() -> bool:
        run_phase(1)
        answer = rows.ask()
        run_phase(2)
        return answer

    flag = SharedFlag(KEY, ask_database=ask_database, timeout=None)
    run_phase(0)
    flag.read()
    for phase in range(PHASES):
        run_phase(phase)

    assert flag.read() is True
