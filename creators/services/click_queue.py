"""Clicks off the request path: ``/r/<code>/`` counts a click in Redis and a drainer writes them in batches.

With ``settings.REDIS_URL`` set, counting a click is one Redis round trip (a Lua script, atomic):
the visitor's counted click within the rolling hour is found under a key that expires an hour after
it was counted (the same rule as ``links.recent_click``), or the new click is remembered under that
key, kept in a hash of pending clicks and appended to a Redis stream. Its id is reserved beforehand
(blocks of the table's own sequence on PostgreSQL), so the redirect's attribution token carries the
click id at once.

The stream is durable: the drainer (``click_drain``) reads a batch through a consumer group, writes it
(ids fixed, conflicts ignored) and only then acknowledges it, so no click is lost and none is counted twice.

Without Redis (the demo, SQLite tests), or while Redis is unreachable, ``links.record_click`` writes
the click inline.

``/r/`` does not call Redis itself: its clicks go through ``click_buffer``, which counts them here in
batches (``count_clicks``, with the client's click limit and aliases for reserved ids not counted).
"""

import json
from dataclasses import dataclass, replace
from datetime import datetime

import redis

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
    return lua_script(_COUNT_CLICK)


def lua_script(source: str):
    """A Lua script, sent once and then called by its hash (EVALSHA)."""
    client = redis_client()
    script = _scripts.get((id(client), source))
    if script is None:
        script = _scripts[(id(client), source)] = client.register_script(source)
    return script


_scripts: dict[tuple[int, str], object] = {}
