"""Monthly range partitions on PostgreSQL (declarative partitioning); a no-op on other databases.

A partitioned table ``t`` on column ``c`` has one partition per UTC month, ``t_pYYYY_MM`` holding
``[first of the month, first of the next)``, and ``t_default`` (DEFAULT) for anything no month
partition covers, so an insert is never refused. Its primary key is ``(id, c)`` (PostgreSQL requires
the partition key in every unique constraint); ids still come from one sequence, so the ORM keeps
treating ``id`` as the key. No foreign key may point at such a table: references are plain id
columns (``ForeignKey(db_constraint=False)``).

- ``partition_by_month`` / ``unpartition`` are the migration steps (both ways, rows kept).
- ``make_month_partitions`` (scheduled, idempotent) creates this and next month's partitions for
  every range-partitioned table, moving rows out of DEFAULT if some already landed there.
- ``drop_month_partitions`` (retention) detaches and drops whole months before a bound, first
  putting back the rows the caller must keep (they land in DEFAULT).

Knows no domain app: tables are found in the catalogue or named by the caller.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone as dt_timezone

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

UTC = dt_timezone.utc
MONTH_SUFFIX = re.compile(r"_p(\d{4})_(\d{2})$")


def month_start(moment: datetime | date, *, months: int = 0) -> datetime:
    """The UTC start of ``moment``'s month, ``months`` later (or earlier when negative)."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    index = moment.year * 12 + moment.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(table: str, month: datetime) -> str:
    return f"{table}_p{month:%Y_%m}"


@dataclass(frozen=True)
class MonthPartition:
    name: str
    start: datetime
    end: datetime


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _execute(sql: str, params=()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def is_partitioned(table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    return bool(_rows("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table]))


def month_partitions(table: str) -> list[MonthPartition]:
    """The table's month partitions (by their names), oldest first."""
    names = _rows("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                  "WHERE i.inhparent = to_regclass(%s)", [table])
    found = []
    for (name,) in names:
        match = MONTH_SUFFIX.search(name)
        if match and name == f"{table}{match.group(0)}":
            start = datetime(int(match.group(1)), int(match.group(2)), 1, tzinfo=UTC)
            found.append(MonthPartition(name, start, month_start(start, months=1)))
    return sorted(found, key=lambda partition: partition.start)


def _partition_key(table: str) -> str:
    """The one column a range-partitioned table is partitioned on."""
    [(column,)] = _rows(
        "SELECT a.attname FROM pg_partitioned_table p JOIN pg_attribute a "
        "ON a.attrelid = p.partrelid AND a.attnum = p.partattrs[0] WHERE p.partrelid = to_regclass(%s)", [table])
    return column


@dataclass(frozen=True)
class _Shape:
    """What ``CREATE TABLE … (LIKE …)`` does not copy: plain indexes, unique and foreign-key constraints."""

    indexes: list[str]
    uniques: list[tuple[str, str]]
    foreign_keys: list[tuple[str, str]]


def _shape(table: str) -> _Shape:
    indexes = [row[0] for row in _rows(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i WHERE i.indrelid = to_regclass(%s) "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY i.indexrelid",
        [table])]
    constraints = _rows("SELECT contype, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                        "WHERE conrelid = to_regclass(%s) AND contype IN ('u', 'f') ORDER BY oid", [table])
    return _Shape(indexes=indexes,
                  uniques=[(name, definition) for kind, name, definition in constraints if kind == "u"],
                  foreign_keys=[(name, definition) for kind, name, definition in constraints if kind == "f"])


def _handed_out(table: str) -> int:
    """The highest id the table's sequence has given: ids may be reserved before their rows are written
    (the click queue reserves blocks), so the new sequence carries on from here, not from the rows."""
    [(sequence,)] = _rows("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    [(last, called)] = _rows(f"SELECT last_value, is_called FROM {sequence}")
    return last if called else last - 1


# Ids the old sequence may still give between reading it and dropping it: app processes reserve click ids in
# blocks (``click_ids.ID_BLOCK``) from the sequence without touching the table, so the table lock doesn't stop
# them; the new sequence starts this far above, and a gap in ids costs nothing.
RESERVATION_MARGIN = 1_000_000


def _swap(table: str, new: str) -> int:
    """Copy every row into ``new``, drop ``table`` and give ``new`` its name; returns where the new id sequence
    must start above (``_handed_out`` read just before the drop, plus ``RESERVATION_MARGIN``). The caller holds
    ``table`` locked (``_lock``), so no row is written to the old table after the copy."""
    _execute(f"INSERT INTO {_quote(new)} SELECT * FROM {_quote(table)}")
    handed_out = _handed_out(table)
    _execute(f"DROP TABLE {_quote(table)}")
    _execute(f"ALTER TABLE {_quote(new)} RENAME TO {_quote(table)}")
    return handed_out + RESERVATION_MARGIN if handed_out > 0 else 0


def _lock(table: str) -> None:
    """No writer between reading the table's shape and dropping it (a click batch, a page view committed into
    the old table after the copy would be dropped with it); readers wait too, for the length of the copy."""
    _execute(f"LOCK TABLE {_quote(table)} IN ACCESS EXCLUSIVE MODE")


def _restore(table: str, shape: _Shape, *, handed_out: int, primary_key: str, unique: Callable[[str], str]) -> None:
    """Put back the primary key, indexes and constraints, and the id sequence where it was."""
    _execute(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(table + '_pkey')} PRIMARY KEY ({primary_key})")
    for definition in shape.indexes:
        _execute(definition.replace(" ON ONLY ", " ON "))
    for name, definition in shape.uniques:
        _execute(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {unique(definition)}")
    for name, definition in shape.foreign_keys:
        _execute(f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(name)} {definition}")
    [(sequence,)] = _rows("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    _execute(f"SELECT setval(%s, greatest(coalesce(max(id), 0), %s, 1), greatest(coalesce(max(id), 0), %s) > 0) "
             f"FROM {_quote(table)}", [sequence, handed_out, handed_out])
    _execute(f"ALTER SEQUENCE {sequence} RENAME TO {_quote(table + '_id_seq')}")


_LIKE = "(LIKE {old} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS INCLUDING STORAGE)"


def partition_by_month(*, table: str, column: str, now: datetime | None = None) -> None:
    """Migration step: turn the plain table into one partitioned by month on ``column``, rows kept.

    Month partitions cover the existing rows through next month, plus DEFAULT. Unique constraints
    gain ``column`` (PostgreSQL requires it); the primary key becomes ``(id, column)``."""
    if connection.vendor != "postgresql" or is_partitioned(table):
        return
    new = f"{table}__new"
    with transaction.atomic():
        _lock(table)
        [(oldest,)] = _rows(f"SELECT min({_quote(column)}) FROM {_quote(table)}")
        current = month_start(now or timezone.now())
        month = min(month_start(oldest), current) if oldest else current
        shape = _shape(table)
        _execute(f"CREATE TABLE {_quote(new)} {_LIKE.format(old=_quote(table))} PARTITION BY RANGE ({_quote(column)})")
        while month <= month_start(current, months=1):
            _create_partition(new, partition_name(table, month), month)
            month = month_start(month, months=1)
        _execute(f"CREATE TABLE {_quote(table + '_default')} PARTITION OF {_quote(new)} DEFAULT")
        handed_out = _swap(table, new)
        _restore(table, shape, handed_out=handed_out, primary_key=f"id, {_quote(column)}",
                 unique=lambda definition: re.sub(r"\)", f", {_quote(column)})", definition, count=1))


def unpartition(*, table: str) -> None:
    """The reverse migration step: a plain table again, primary key ``id``, rows kept."""
    if not is_partitioned(table):
        return
    suffix = f", {_partition_key(table)})"  # as pg_get_constraintdef writes it
    new = f"{table}__new"
    with transaction.atomic():
        _lock(table)
        shape = _shape(table)
        _execute(f"CREATE TABLE {_quote(new)} {_LIKE.format(old=_quote(table))}")
        handed_out = _swap(table, new)
        _restore(table, shape, handed_out=handed_out, primary_key="id",
                 unique=lambda definition: definition.replace(suffix, ")", 1))


def _create_partition(parent: str, name: str, month: datetime) -> None:
    _execute(f"CREATE TABLE {_quote(name)} PARTITION OF {_quote(parent)} FOR VALUES FROM (%s) TO (%s)",
             [month.isoformat(), month_start(month, months=1).isoformat()])


def _add_month(table: str, month: datetime) -> None:
    """Create ``month``'s partition. Rows of that month already in DEFAULT are moved into it first
    (PostgreSQL refuses a new partition whose rows sit in DEFAULT); DEFAULT is locked meanwhile."""
    default, column = f"{table}_default", _partition_key(table)
    name, end = partition_name(table, month), month_start(month, months=1)
    in_range = f"{_quote(column)} >= %s AND {_quote(column)} < %s"
    with transaction.atomic():
        _execute(f"LOCK TABLE {_quote(default)} IN EXCLUSIVE MODE")
        if not _rows(f"SELECT 1 FROM {_quote(default)} WHERE {in_range} LIMIT 1", [month, end]):
            _create_partition(table, name, month)
            return
        _execute(f"CREATE TABLE {_quote(name)} (LIKE {_quote(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        _execute(f"WITH moved AS (DELETE FROM {_quote(default)} WHERE {in_range} RETURNING *) "
                 f"INSERT INTO {_quote(name)} SELECT * FROM moved", [month, end])
        _execute(f"ALTER TABLE {_quote(table)} ATTACH PARTITION {_quote(name)} FOR VALUES FROM (%s) TO (%s)",
                 [month.isoformat(), end.isoformat()])


def partitioned_tables() -> list[str]:
    """Every table partitioned by month here (range-partitioned, with a DEFAULT partition named ours)."""
    if connection.vendor != "postgresql":
        return []
    return [row[0] for row in _rows(
        "SELECT c.relname FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
        "WHERE p.partstrat = 'r' AND c.relnamespace = current_schema()::regnamespace "
        "AND to_regclass(c.relname || '_default') IS NOT NULL ORDER BY c.relname")]


def make_month_partitions(*, now: datetime | None = None, months_ahead: int = 1) -> list[str]:
    """Create this month's and the next ``months_ahead`` months' partitions where missing; returns
    the partitions created (none when run again: idempotent)."""
    current = month_start(now or timezone.now())
    created = []
    for table in partitioned_tables():
        existing = {partition.start for partition in month_partitions(table)}
        for ahead in range(months_ahead + 1):
            month = month_start(current, months=ahead)
            if month not in existing:
                _add_month(table, month)
                created.append(partition_name(table, month))
    return created


def drop_month_partitions(*, table: str, before: datetime, keep: QuerySet | None = None) -> int:
    """Retention: detach and drop every month partition ending on or before ``before``; returns the
    rows dropped. Rows whose id is in ``keep`` (a ``values("…id")`` queryset) are inserted again first
    (they land in DEFAULT). A no-op unless the table is partitioned."""
    if not is_partitioned(table):
        return 0
    dropped = 0
    for partition in month_partitions(table):
        if partition.end > before:
            break
        with transaction.atomic():
            # PostgreSQL refuses to drop a table with foreign-key checks pending in this transaction: run them
            # now (the project's constraints are all DEFERRABLE INITIALLY DEFERRED, so the mode stays the same)
            _execute("SET CONSTRAINTS ALL IMMEDIATE")
            _execute("SET CONSTRAINTS ALL DEFERRED")
            _execute(f"ALTER TABLE {_quote(table)} DETACH PARTITION {_quote(partition.name)}")
            [(rows,)] = _rows(f"SELECT count(*) FROM {_quote(partition.name)}")
            kept = 0
            if keep is not None:
                sql, params = keep.query.sql_with_params()
                kept = _execute(f"INSERT INTO {_quote(table)} SELECT * FROM {_quote(partition.name)} "
                                f"WHERE id IN ({sql})", params)
            _execute(f"DROP TABLE {_quote(partition.name)}")
            dropped += rows - kept
    return dropped
