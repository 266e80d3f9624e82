"""A yes/no answer kept in the shared cache that is never wrongly "no" ("is any session live?", "does any page
have a view restriction?"), so a hot path asks the database only when the answer may be yes.

The rules, in one place:

- ``set()``: something that makes the answer "yes" sets it at once (inside its transaction) and again after the
  commit. A stale "yes" only costs the caller a look-up; a stale "no" would skip one that was needed. The second
  set covers a reader that, between the two, found the key evicted and filled it from rows not yet committed.
  If the first set fails the change fails with it (a "yes" the cache may not hold must not be committed).
- ``drop()``: something that may make it "no" drops the key after the commit; the next reader asks the database.
- ``read()``: a reader fills a missing key with ``cache.add``, which never overwrites a "yes" set meanwhile.
  When the cache can't answer (Redis or memcached down) the reader asks the database: the flag is only a
  shortcut, so an outage costs a look-up, never a wrong "no".

After-commit writes are ``robust`` (a failure is logged, the committed change stands). ``timeout`` bounds any
other surprise (None: until dropped or evicted; an evicted key is simply read again).
"""

from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction


class SharedFlag:
    def __init__(self, key: str, *, ask_database: Callable[[], bool], timeout: int | None) -> None:
        self.key = key
        self.ask_database = ask_database
        self.timeout = timeout

    def read(self) -> bool:
        """The cached answer, or the database's (kept for the next reader when the cache takes it)."""
        try:
            found = cache.get(self.key)
        except Exception:  # noqa: BLE001  (any cache backend's outage)
            return self.ask_database()
        if found is None:
            found = self.ask_database()
            try:
                cache.add(self.key, found, timeout=self.timeout)
            except Exception:  # noqa: BLE001
                pass
        return found

    def set(self) -> None:
        """The answer is now "yes": now, and again once the transaction commits."""
        self._store_yes()
        transaction.on_commit(self._store_yes, robust=True)

    def drop(self) -> None:
        """The answer may now be "no": forgotten once the transaction commits (at once outside one)."""
        transaction.on_commit(lambda: cache.delete(self.key), robust=True)

    def _store_yes(self) -> None:
        cache.set(self.key, True, timeout=self.timeout)
