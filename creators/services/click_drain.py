"""The click queue's writer: the drainer reads the queued clicks (``click_queue``) from the Redis stream through a
consumer group, writes them in batches and only then acknowledges them.

``drain_clicks`` writes one batch (one ``INSERT … SELECT FROM unnest`` on PostgreSQL, ids fixed, conflicts ignored)
and acknowledges it in one round trip; a drainer that dies after reading leaves its entries pending, and the next
drain claims them once idle for ``reclaim_idle_ms`` and writes them again (a no-op for rows already in), so no click
is lost and none is counted twice. ``drain_all_clicks`` (the scheduled job, ``manage.py drain_clicks``) drains until
the queue is empty after ``retire_dead_consumers`` took over the entries of drainers that died. Attribution of an
order whose click is still queued writes it first (``write_pending_clicks``).
"""

import json
import os
import socket
from datetime import datetime

import redis
from django.db import connection, transaction

from creators.models import Click
from creators.services.click_ids import PENDING
from creators.services.click_queue import GROUP, STREAM, lua_script
from operations.shared_redis import redis_client


def _click(payload: dict) -> Click:
    return Click(
        pk=payload["id"], link_id=payload["link_id"], creator_id=payload["creator_id"], page_id=payload["page_id"],
        block_id=payload["block_id"], product_id=payload["product_id"],
        clicked_at=datetime.fromisoformat(payload["clicked_at"]), visitor_hash=payload["visitor_hash"],
        referrer=payload["referrer"], ua_class=payload["ua_class"],
    )


_COLUMNS = ("id", "link_id", "creator_id", "page_id", "block_id", "product_id", "clicked_at", "visitor_hash",
            "referrer", "ua_class")
_PG_TYPES = ("bigint", "bigint", "bigint", "bigint", "text", "bigint", "timestamptz", "text", "text", "text")


def _write_batch(payloads: list[dict]) -> None:
    """Insert the clicks; those already in (a batch written before its drainer died) are skipped.

    On PostgreSQL one ``INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING`` whatever the
    batch's size (no model instances, ten array parameters); elsewhere ``bulk_create``."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            Click.objects.bulk_create([_click(payload) for payload in payloads], ignore_conflicts=True)
        return
    arrays = [[payload[column] for payload in payloads] for column in _COLUMNS]
    arrays[_COLUMNS.index("clicked_at")] = [datetime.fromisoformat(value) for value in arrays[6]]
    unnest = ", ".join(f"%s::{kind}[]" for kind in _PG_TYPES)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {Click._meta.db_table} ({', '.join(_COLUMNS)}) SELECT * FROM unnest({unnest}) "
                       "ON CONFLICT (id, clicked_at) DO NOTHING", arrays)


# Entries the group acknowledged are dropped from the stream: everything below the oldest entry still
# pending (read, not acknowledged) or, when none is pending, everything up to the group's last read.
# One script, so no drainer can read or acknowledge in between. KEYS: stream. ARGV: group.
_TRIM_ACKNOWLEDGED = """
local pending = redis.call('XPENDING', KEYS[1], ARGV[1])
local bound
if pending[1] > 0 then
  bound = pending[2]
else
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    local fields = {}
    for i = 1, #group, 2 do fields[group[i]] = group[i + 1] end
    if fields['name'] == ARGV[1] then
      local ms, seq = string.match(fields['last-delivered-id'], '(%d+)-(%d+)')
      bound = ms .. '-' .. (tonumber(seq) + 1)
    end
  end
end
if not bound then return 0 end
return redis.call('XTRIM', KEYS[1], 'MINID', bound)
"""


def _acknowledge(client, entry_ids: list, click_ids: list[int]) -> None:
    """Acknowledge a written batch and delete its entries from the stream (one round trip)."""
    pipe = client.pipeline(transaction=True)
    pipe.xack(STREAM, GROUP, *entry_ids)
    pipe.xdel(STREAM, *entry_ids)
    pipe.hdel(PENDING, *click_ids)
    pipe.execute()


def trim_acknowledged() -> int:
    """Drop every stream entry older than what the group still needs (``retire_dead_consumers`` runs
    it): batches delete their own entries, this catches any an older drainer acknowledged and left."""
    client = redis_client()
    return int(lua_script(_TRIM_ACKNOWLEDGED)(keys=[STREAM], args=[GROUP])) if client is not None else 0


def _ensure_group(client) -> None:
    try:
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except Exception as error:  # noqa: BLE001  (redis.ResponseError BUSYGROUP: it exists)
        if "BUSYGROUP" not in str(error):
            raise


def default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def drain_clicks(*, consumer: str | None = None, batch_size: int = 500, reclaim_idle_ms: int = 30_000,
                 block_ms: int | None = None, reclaim: bool = True) -> int:
    """Write one batch of queued clicks (with ``reclaim``, stale entries of dead drainers first); returns
    how many entries the batch held (0: nothing to do). ``block_ms`` waits that long for new clicks.

    A long-running drainer reclaims now and then (``reclaim=False`` otherwise): a batch then costs
    one read, one INSERT and one acknowledging round trip."""
    client = redis_client()
    if client is None:
        return 0
    consumer = consumer or default_consumer()
    entries = []
    if reclaim:
        _ensure_group(client)
        _next, claimed, *_ = client.xautoclaim(STREAM, GROUP, consumer, min_idle_time=reclaim_idle_ms,
                                               start_id="0-0", count=batch_size)
        entries = [entry for entry in claimed if entry and entry[1]]
    if len(entries) < batch_size:
        read = {STREAM: ">"}
        try:
            read = client.xreadgroup(GROUP, consumer, read, count=batch_size - len(entries), block=block_ms)
        except redis.ResponseError as error:
            if "NOGROUP" not in str(error):  # no group yet, or Redis restarted empty: make it, read again
                raise
            _ensure_group(client)
            read = client.xreadgroup(GROUP, consumer, read, count=batch_size - len(entries), block=block_ms)
        for _stream, stream_entries in read or []:
            entries.extend(stream_entries)
    return _write_entries(client, entries)


def _write_entries(client, entries: list) -> int:
    if not entries:
        return 0
    payloads = [json.loads(fields[b"click"]) for _entry_id, fields in entries]
    _write_batch(payloads)
    _acknowledge(client, [entry_id for entry_id, _fields in entries], [payload["id"] for payload in payloads])
    return len(entries)


def drain_all_clicks(*, consumer: str | None = None, batch_size: int = 500, reclaim_idle_ms: int = 30_000) -> int:
    """Drain until the queue is empty (the scheduled job); returns how many clicks were handled. Dead
    drainers' entries are taken over and written first, and the dead drainers leave the group."""
    consumer = consumer or default_consumer()
    total = retire_dead_consumers(consumer=consumer, idle_ms=max(reclaim_idle_ms, DEAD_CONSUMER_IDLE_MS))
    while (handled := drain_clicks(consumer=consumer, batch_size=batch_size, reclaim_idle_ms=reclaim_idle_ms)):
        total += handled
    return total


# A drainer that has not read for this long is dead: a live one reads at least every second (blocking
# reads of ``drain_clicks`` time out after ``block_ms``) and the scheduled drain runs every minute.
DEAD_CONSUMER_IDLE_MS = 10 * 60_000

# KEYS: stream. ARGV: group, consumer. Removes the consumer only when nothing is pending for it, in one
# step (XGROUP DELCONSUMER would drop its pending entries: those clicks would never be written).
_DELETE_IDLE_CONSUMER = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) + 1
"""


def retire_dead_consumers(*, consumer: str, idle_ms: int = DEAD_CONSUMER_IDLE_MS, batch_size: int = 500) -> int:
    """Remove the group's consumers idle for ``idle_ms`` (drainers that died or were scaled away).

    Their pending entries (read, never acknowledged) are claimed by ``consumer`` and written first, so
    no click is lost; a consumer is deleted only while nothing is pending for it. Returns how many
    clicks were written on their behalf."""
    client = redis_client()
    if client is None:
        return 0
    _ensure_group(client)
    written = 0
    for info in client.xinfo_consumers(STREAM, GROUP):
        name = info["name"].decode() if isinstance(info["name"], bytes) else info["name"]
        if name == consumer or info["idle"] < idle_ms:
            continue
        while pending := client.xpending_range(STREAM, GROUP, min="-", max="+", count=batch_size,
                                               consumername=name):
            claimed = client.xclaim(STREAM, GROUP, consumer, min_idle_time=0,
                                    message_ids=[entry["message_id"] for entry in pending])
            written += _write_entries(client, [entry for entry in claimed if entry and entry[1]])
        lua_script(_DELETE_IDLE_CONSUMER)(keys=[STREAM], args=[GROUP, name])
    trim_acknowledged()
    return written


def write_pending_clicks(click_ids: set[int]) -> set[int]:
    """Write now the queued clicks among ``click_ids`` (an order is being attributed to them); the
    drainer later finds them in and skips them. Returns the ids found queued."""
    client = redis_client()
    if client is None or not click_ids:
        return set()
    ordered = sorted(click_ids)
    payloads = [json.loads(raw) for raw in client.hmget(PENDING, ordered) if raw is not None]
    if payloads:
        _write_batch(payloads)
    return {payload["id"] for payload in payloads}


def queued_click_count() -> int:
    """Clicks counted but not yet written (for health and the bench)."""
    client = redis_client()
    return int(client.hlen(PENDING)) if client is not None else 0
