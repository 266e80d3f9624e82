"""Clicks off the request path: ``/r/<code>/`` counts a click in Redis and a drainer writes them in batches.

With ``settings.REDIS_URL`` set, counting a click is one Redis round trip (a Lua script, atomic):
the visitor's counted click within the rolling hour is found under a key that expires an hour after
it was counted (the same rule as ``links.recent_click``), or the new click is remembered under that
key, kept in a hash of pending clicks and appended to a Redis stream. Its id is reserved beforehand
(blocks of the table's own sequence on PostgreSQL), so the redirect's attribution token carries the
click id at once.

The stream is durable: ``drain_clicks`` reads a batch through a consumer group, writes it with one
``bulk_create`` (ids fixed, conflicts ignored) and only then acknowledges it. A drainer that dies
after reading leaves its entries pending; the next drain claims them once they have been idle for
``reclaim_idle_ms`` and writes them again, which the fixed ids make a no-op for rows already in.
So no click is lost and none is counted twice. Attribution of an order whose click is still pending
writes it first (``write_pending_clicks``).

Without Redis (the demo, SQLite tests), or while Redis is unreachable, ``links.record_click`` writes
the click inline.
"""

import json
import os
import socket
import threading
from datetime import datetime

import redis
from django.db import connection, transaction

from creators.models import Click
from operations.shared_redis import redis_client

STREAM = "kolshop:clicks"
GROUP = "click-writers"
PENDING = "kolshop:clicks:pending"
SEEN_PREFIX = "kolshop:click-seen:"
ID_COUNTER = "kolshop:click-ids"
ID_BLOCK = 100

# KEYS: seen (current hash), seen (previous hash), stream, pending hash.
# ARGV: reserved id, the click as JSON, the rolling window in seconds.
_COUNT_CLICK = """
local counted = redis.call('GET', KEYS[1]) or redis.call('GET', KEYS[2])
if counted then return counted end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('XADD', KEYS[3], '*', 'click', ARGV[2])
return ARGV[1]
"""


class QueueUnavailable(Exception):
    """Redis could not take the click (down, unreachable); the caller writes it inline instead."""


def queue_enabled() -> bool:
    return redis_client() is not None


def queue_click(fields: dict, *, visitor_candidates: tuple[str, str], window_seconds: int) -> int:
    """Count the click described by ``fields`` (Click's columns, ``clicked_at`` a datetime) unless the
    visitor's click on the link within the window was counted already; returns the counted click's id."""
    try:
        click_id = reserve_click_id()
        payload = json.dumps({**fields, "id": click_id, "clicked_at": fields["clicked_at"].isoformat()})
        link_id = fields["link_id"]
        keys = [f"{SEEN_PREFIX}{link_id}:{visitor_candidates[0]}", f"{SEEN_PREFIX}{link_id}:{visitor_candidates[1]}",
                STREAM, PENDING]
        return int(_count_click_script()(keys=keys, args=[click_id, payload, window_seconds]))
    except redis.RedisError as error:
        raise QueueUnavailable(str(error)) from error


def _count_click_script():
    """The Lua script, sent once and then called by its hash (EVALSHA)."""
    client = redis_client()
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_COUNT_CLICK)
    return script


_scripts: dict[int, object] = {}


class _IdBlock:
    """Click ids reserved in blocks, so most clicks reserve theirs without a round trip."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids: list[int] = []
        self._pid = os.getpid()

    def take(self) -> int:
        with self._lock:
            if self._pid != os.getpid():  # a forked worker must not reuse its parent's block
                self._ids, self._pid = [], os.getpid()
            if not self._ids:
                self._ids = _reserve_ids(ID_BLOCK)
            return self._ids.pop(0)


def _reserve_ids(count: int) -> list[int]:
    """``count`` unused Click ids: from the table's sequence on PostgreSQL (inline inserts draw from
    it too); elsewhere from a Redis counter started above the highest id (tests on SQLite)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                           [Click._meta.db_table, count])
            return [row[0] for row in cursor.fetchall()]
    client = redis_client()
    if not client.exists(ID_COUNTER):
        highest = Click.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        client.set(ID_COUNTER, highest, nx=True)
    last = client.incrby(ID_COUNTER, count)
    return list(range(last - count + 1, last + 1))


_id_block = _IdBlock()


def reserve_click_id() -> int:
    return _id_block.take()


def _click(payload: dict) -> Click:
    return Click(
        pk=payload["id"], link_id=payload["link_id"], creator_id=payload["creator_id"], page_id=payload["page_id"],
        block_id=payload["block_id"], product_id=payload["product_id"],
        clicked_at=datetime.fromisoformat(payload["clicked_at"]), visitor_hash=payload["visitor_hash"],
        referrer=payload["referrer"], ua_class=payload["ua_class"],
    )


def _write_batch(payloads: list[dict]) -> None:
    """Insert the clicks; those already in (a batch written before its drainer died) are skipped."""
    with transaction.atomic():
        Click.objects.bulk_create([_click(payload) for payload in payloads], ignore_conflicts=True)


def _acknowledge(client, entry_ids: list, click_ids: list[int]) -> None:
    pipe = client.pipeline(transaction=True)
    pipe.xack(STREAM, GROUP, *entry_ids)
    pipe.xdel(STREAM, *entry_ids)
    pipe.hdel(PENDING, *click_ids)
    pipe.execute()


def _ensure_group(client) -> None:
    try:
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except Exception as error:  # noqa: BLE001  (redis.ResponseError BUSYGROUP: it exists)
        if "BUSYGROUP" not in str(error):
            raise


def default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def drain_clicks(*, consumer: str | None = None, batch_size: int = 500, reclaim_idle_ms: int = 30_000,
                 block_ms: int | None = None) -> int:
    """Write one batch of queued clicks (stale entries of dead drainers first); returns how many
    entries the batch held (0: nothing to do). ``block_ms`` waits that long for new clicks."""
    client = redis_client()
    if client is None:
        return 0
    consumer = consumer or default_consumer()
    _ensure_group(client)
    _next, claimed, *_ = client.xautoclaim(STREAM, GROUP, consumer, min_idle_time=reclaim_idle_ms,
                                           start_id="0-0", count=batch_size)
    entries = [entry for entry in claimed if entry and entry[1]]
    if len(entries) < batch_size:
        read = client.xreadgroup(GROUP, consumer, {STREAM: ">"}, count=batch_size - len(entries), block=block_ms)
        for _stream, stream_entries in read or []:
            entries.extend(stream_entries)
    if not entries:
        return 0
    payloads = [json.loads(fields[b"click"]) for _entry_id, fields in entries]
    _write_batch(payloads)
    _acknowledge(client, [entry_id for entry_id, _fields in entries], [payload["id"] for payload in payloads])
    return len(entries)


def drain_all_clicks(*, consumer: str | None = None, batch_size: int = 500, reclaim_idle_ms: int = 30_000) -> int:
    """Drain until the queue is empty (the scheduled job); returns how many clicks were handled."""
    total = 0
    while (handled := drain_clicks(consumer=consumer, batch_size=batch_size, reclaim_idle_ms=reclaim_idle_ms)):
        total += handled
    return total


def write_pending_clicks(click_ids: set[int]) -> None:
    """Write now the queued clicks among ``click_ids`` (an order is being attributed to them); the
    drainer later finds them in and skips them."""
    client = redis_client()
    if client is None or not click_ids:
        return
    ordered = sorted(click_ids)
    payloads = [json.loads(raw) for raw in client.hmget(PENDING, ordered) if raw is not None]
    if payloads:
        _write_batch(payloads)


def queued_click_count() -> int:
    """Clicks counted but not yet written (for health and the bench)."""
    client = redis_client()
    return int(client.hlen(PENDING)) if client is not None else 0
