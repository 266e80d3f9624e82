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

``/r/`` does not call Redis itself: its clicks go through ``click_buffer``, which counts them here in
batches (``count_clicks``, with the client's click limit and aliases for reserved ids not counted).
"""

import json
import os
import socket
from dataclasses import dataclass, replace
from datetime import datetime

import redis
from django.db import connection, transaction

from creators.models import Click
from creators.services.click_ids import ALIAS_PREFIX, PENDING, reserve_click_id  # the keys ids are reserved against
from operations.shared_redis import bounded, loop_redis_client, redis_client
from shop.attribution import attribution_window

STREAM = "kolshop:clicks"
GROUP = "click-writers"
SEEN_PREFIX = "kolshop:click-seen:"

RATE_PREFIX = "kolshop:click-rate:"

# KEYS: seen (current hash), seen (previous hash), stream, pending hash, the client's rate counter, the
# reserved id's alias. ARGV: reserved id, the click as JSON, the rolling window in seconds, the client's
# limit (0: none), the limit's period in seconds, how long an alias is kept.
# A click counted late (``click_buffer`` flushes after the redirect carried the reserved id) leaves an
# alias when it is not counted: the visitor's counted id, or 0 over the client's limit. A batch sent again
# (a pipeline that failed part-way) finds its own clicks counted, or their aliases, and changes nothing, not even
# the limit (as ``links._count_inline`` finds a row or an alias first).
_COUNT_CLICK = """
if redis.call('GET', KEYS[1]) == ARGV[1] or redis.call('GET', KEYS[2]) == ARGV[1] then
  return ARGV[1]
end
local decided = redis.call('GET', KEYS[6])
if decided then
  return decided
end
if tonumber(ARGV[4]) > 0 then
  local used = redis.call('INCR', KEYS[5])
  if used == 1 then redis.call('EXPIRE', KEYS[5], ARGV[5]) end
  if used > tonumber(ARGV[4]) then
    redis.call('SET', KEYS[6], '0', 'EX', ARGV[6])
    return 0
  end
end
local counted = redis.call('GET', KEYS[1]) or redis.call('GET', KEYS[2])
if counted then
  if counted ~= ARGV[1] then redis.call('SET', KEYS[6], counted, 'EX', ARGV[6]) end
  return counted
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
redis.call('HSET', KEYS[4], ARGV[1], ARGV[2])
redis.call('XADD', KEYS[3], '*', 'click', ARGV[2])
return ARGV[1]
"""


class QueueUnavailable(Exception):
    """Redis could not take the click (down, unreachable); the caller writes it inline instead."""


def queue_enabled() -> bool:
    return redis_client() is not None


@dataclass(frozen=True)
class QueuedClick:
    """A click to count: its reserved id, its row as JSON, and what deduplication and the limit key on."""

    click_id: int
    payload: str
    link_id: int
    visitor_candidates: tuple[str, str]
    window_seconds: int
    client: str = ""  # the client's rate-limit key; "" counts no limit here
    limit: tuple[int, int] | None = None  # (clicks, per seconds) for ``client``
    clicked_at: float = 0.0  # epoch seconds: which limit period the click falls in
    lock_name: str = ""  # the visitor's lock, should the click be written inline after all
    # sent to Redis without an answer (timed out, cancelled): Redis may have counted it (a repeat as an earlier click
    # still in the stream, the limit spent), which the database can't know, so only Redis counts it (again) from here
    outcome_unknown: bool = False

    @classmethod
    def of(cls, fields: dict, *, click_id: int, visitor_candidates: tuple[str, str], window_seconds: int,
           client: str = "", limit: tuple[int, int] | None = None, lock_name: str = "") -> "QueuedClick":
        payload = json.dumps({**fields, "id": click_id, "clicked_at": fields["clicked_at"].isoformat()})
        return cls(click_id, payload, fields["link_id"], visitor_candidates, window_seconds, client, limit,
                   fields["clicked_at"].timestamp(), lock_name)

    def fields(self) -> dict:
        """The click's columns again (``clicked_at`` a datetime), without its id."""
        fields = json.loads(self.payload)
        del fields["id"]
        return {**fields, "clicked_at": datetime.fromisoformat(fields["clicked_at"])}


def queue_click(fields: dict, *, visitor_candidates: tuple[str, str], window_seconds: int) -> int:
    """Count the click described by ``fields`` (Click's columns, ``clicked_at`` a datetime) unless the
    visitor's click on the link within the window was counted already; returns the counted click's id.
    ``QueueUnavailable``: nothing was counted (write it inline). ``OutcomeUnknown``: sent with no answer, Redis
    may have counted it (a request waits one time limit, not two: resent later, from the spool)."""
    try:
        click = QueuedClick.of(fields, click_id=reserve_click_id(), visitor_candidates=visitor_candidates,
                               window_seconds=window_seconds)
    except redis.RedisError as error:  # no id: nothing sent
        raise QueueUnavailable(str(error)) from error
    try:
        return count_clicks([click])[0]
    except redis.RedisError as error:
        if not may_have_run(error):
            raise QueueUnavailable(str(error)) from error
        raise OutcomeUnknown(replace(click, outcome_unknown=True)) from error


class OutcomeUnknown(Exception):
    """A click sent to Redis whose answer never came: Redis may have counted it, so it is never written inline,
    only sent to Redis again (``click``, marked, for the spool: its reserved id makes Redis answer what it did)."""

    def __init__(self, click: QueuedClick) -> None:
        super().__init__(f"click {click.click_id}: no answer from the click queue")
        self.click = click


class NotSent(redis.ConnectionError):
    """Redis could not be reached: nothing of the batch was sent (any other failure of a send may come after Redis
    ran it: ``may_have_run``)."""


def may_have_run(error: BaseException) -> bool:
    """Whether a batch whose send to Redis failed with ``error`` may have been counted there all the same: anything
    but Redis not reached before the send (``NotSent``): a reply timed out or cut off, a retry that could not
    reconnect, a send cancelled, an answer that could not be read."""
    return not isinstance(error, NotSent)


def count_clicks(clicks: list[QueuedClick]) -> list[int]:
    """Count a batch of clicks in one round trip (a pipeline of the counting script); per click the id
    counted for its visit: its own, the visitor's earlier click's, or 0 (over its client's limit).
    Raises ``redis.RedisError`` when Redis can't take them, a ``redis.ConnectionError`` too when no Redis is
    configured, so every caller's outage handler takes that case (nothing is counted twice on a retry: a
    counted click's visitor key makes the retry find it)."""
    if redis_client() is None:
        raise NotSent("no click queue configured (settings.REDIS_URL is empty)")
    script, calls = _count_click_calls(clicks)
    for attempt in range(2):
        try:  # connected first: a failure here sent nothing; one later may come after Redis ran the batch
            connection = redis_client().connection_pool.get_connection()
        except (redis.RedisError, OSError) as error:
            raise NotSent(str(error)) from error
        pipe = redis_client().pipeline(transaction=False)
        pipe.connection = connection  # released by the pipeline's reset, as its own is
        for call in calls:  # EVALSHA straight away: a pipeline of scripts would ask SCRIPT EXISTS first
            pipe.evalsha(script.sha, *call)
        try:
            return [int(counted) for counted in pipe.execute()]
        except redis.exceptions.NoScriptError:  # Redis restarted: nothing ran; load the script, again
            if attempt:
                raise
            redis_client().script_load(script.script)


async def count_clicks_on_loop(clicks: list[QueuedClick]) -> list[int]:
    """``count_clicks`` awaited on the running event loop (redis.asyncio, one client per loop): the loop's follows'
    batches need no thread to send them and no call back into the loop. The same script, keys and errors."""
    client = loop_redis_client()
    if client is None:
        raise NotSent("no click queue configured (settings.REDIS_URL is empty)")
    script, calls = _count_click_calls(clicks)
    for attempt in range(2):
        try:
            connection = await bounded(client.connection_pool.get_connection())
        except (redis.RedisError, OSError) as error:
            raise NotSent(str(error)) from error
        pipe = client.pipeline(transaction=False)
        pipe.connection = connection
        for call in calls:
            pipe.evalsha(script.sha, *call)
        try:
            return [int(counted) for counted in await bounded(pipe.execute())]
        except redis.exceptions.NoScriptError:
            if attempt:
                raise
            await bounded(client.script_load(script.script))


def _count_click_calls(clicks: list[QueuedClick]) -> tuple:
    """The counting script and, per click, its keys and arguments."""
    alias_seconds = int(attribution_window().total_seconds()) + 86_400
    calls = []
    for click in clicks:
        count, seconds = click.limit if click.client and click.limit else (0, 1)
        calls.append([6, f"{SEEN_PREFIX}{click.link_id}:{click.visitor_candidates[0]}",
                      f"{SEEN_PREFIX}{click.link_id}:{click.visitor_candidates[1]}", STREAM, PENDING,
                      f"{RATE_PREFIX}{click.client}:{seconds}:{int(click.clicked_at // seconds)}",
                      f"{ALIAS_PREFIX}{click.click_id}", click.click_id, click.payload, click.window_seconds, count,
                      seconds, alias_seconds])
    return _count_click_script(), calls


def click_aliases(click_ids: list[int]) -> dict[int, int]:
    """For reserved ids never counted themselves: the id counted instead (0: none, over the limit)."""
    client = redis_client()
    if client is None or not click_ids:
        return {}
    values = client.mget([f"{ALIAS_PREFIX}{click_id}" for click_id in click_ids])
    return {click_id: int(value) for click_id, value in zip(click_ids, values) if value is not None}


def _count_click_script():
    return _script(_COUNT_CLICK)


def _script(source: str):
    """A Lua script, sent once and then called by its hash (EVALSHA)."""
    client = redis_client()
    script = _scripts.get((id(client), source))
    if script is None:
        script = _scripts[(id(client), source)] = client.register_script(source)
    return script


_scripts: dict[tuple[int, str], object] = {}


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
    return int(_script(_TRIM_ACKNOWLEDGED)(keys=[STREAM], args=[GROUP])) if client is not None else 0


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
        _script(_DELETE_IDLE_CONSUMER)(keys=[STREAM], args=[GROUP, name])
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
