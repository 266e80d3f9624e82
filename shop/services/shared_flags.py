"""A yes/no answer kept in the shared cache that is never wrongly "no" for long ("is any session live?", "does any
page have a view restriction?"), so a hot path asks the database only when the answer may be yes.

The rules, in one place:

- ``set()``: something that makes the answer "yes" sets it at once (inside its transaction) and again after the
  commit. A stale "yes" only costs the caller a look-up; a stale "no" would skip one that was needed. The second
  set covers a reader that, between the two, found the key evicted and filled it from rows not yet committed.
- ``drop()``: something that may make it "no" drops the key after the commit; the next reader asks the database.
- ``read()``: a reader fills a missing key with ``cache.add``, which never overwrites a "yes" set meanwhile.
  When the cache can't answer (Redis or memcached down) the reader asks the database: the flag is only a
  shortcut, so an outage costs a look-up, never a wrong "no".
- A "no" is kept at most ``NO_SECONDS``; a "yes" for ``timeout``. What no process can know about (a Redis
  restarted from a snapshot older than a "yes", a fail-over to a replica that missed it) leaves a wrong "no" for
  at most that long. Callers whose wrong "no" would matter for longer must not depend on the flag alone (the
  content API reads pages as an anonymous reader whenever the restriction flag says "no").

Every call goes through ``operations.cache_guard`` (the production backend absorbs outages silently for code that
isn't guarded). A write the cache did not take is owed: before this process uses the flag again it deletes the
key (the next reader asks the database). A change never fails because the cache is down.
"""

from collections.abc import Callable

from django.db import transaction

from operations.cache_guard import SharedCache, now_and_at_commit

NO_SECONDS = 60


class SharedFlag:
    def __init__(self, key: str, *, ask_database: Callable[[], bool], timeout: int | None) -> None:
        self.key = key
        self.ask_database = ask_database
        self.timeout = timeout
        self._cache = SharedCache(name=f"flag:{key}", settle=lambda backend: backend.delete(key))

    def read(self) -> bool:
        """The cached answer, or the database's (kept for the next reader when the cache takes it)."""
        found = self._cache.get(self.key)
        if found is None:
            found = self.ask_database()
            no_for = NO_SECONDS if self.timeout is None else min(self.timeout, NO_SECONDS)
            self._cache.add(self.key, found, timeout=self.timeout if found else no_for)
        return found

    def set(self) -> None:
        """The answer is now "yes": now, and again once the transaction commits."""
        now_and_at_commit(self._store_yes)

    def drop(self) -> None:
        """The answer may now be "no": forgotten once the transaction commits (at once outside one)."""
        transaction.on_commit(lambda: self._cache.delete(self.key))

    def _store_yes(self) -> None:
        self._cache.set(self.key, True, timeout=self.timeout)
