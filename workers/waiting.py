"""The requests waiting for a busy team, in Redis: one sorted set per team, oldest first.

A dial job that finds every agent of its team on a call adds its request here and ends;
each agent's call that ends wakes the one request that has waited longest (its dial job
goes to the front of the calls queue). Nothing polls: with a few hundred requests behind
a busy team, a poll every few seconds per request kept the workers from the ones an
agent was free for (BENCHMARKS.md, "Paced at scale"). A woken request that cannot take
the free agent (it needs a language they do not speak) wakes the one that joined after
it, and so on down the line.

Redis may lose the set (an outage, a restart without persistence): the reconciler puts
back the dial of any request left queued or calling agents for RECONCILE_STALE_SECONDS
that holds no place here, so a lost place costs a wait, never the callback. Places kept
here cost it a dial job only past their maximum wait, or while an agent of the team is
free (a wake spent on a place whose request had ended). Members are
request ids and rounds.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from redis import Redis

# A place outlives any request's maximum wait; the set expires once nobody joins it.
WAITING_TTL_SECONDS = 24 * 3600

# Join the line; then, if an agent came free since the request found them all busy and
# nobody was waiting to take them, leave it again: return 1 (dial again now), else 0.
JOIN_SCRIPT = """
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], ARGV[4])
local seen = tonumber(ARGV[3])
if seen >= 0 and tonumber(redis.call('GET', KEYS[2]) or '0') ~= seen then
  redis.call('ZREM', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
# Take the oldest waiter; with nobody waiting, count the free agent as unclaimed.
WAKE_SCRIPT = """
local oldest = redis.call('ZPOPMIN', KEYS[1])
if oldest[1] then
  return oldest[1]
end
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return false
"""

# Take the request that joined next after ARGV[1] (a member still in the line), if any.
WAKE_AFTER_SCRIPT = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then
  return false
end
local younger = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. score, '+inf', 'LIMIT', 0, 1)
if younger[1] then
  redis.call('ZREM', KEYS[1], younger[1])
  return younger[1]
end
return false
"""


def _keys(team: str) -> tuple[str, str]:
    return f"callback:waiting:{team}", f"callback:waiting:{team}:unclaimed"


def unclaimed(connection: Redis, team: str) -> int:
    """Return how many of the team's agents came free with nobody waiting, so far."""
    return int(connection.get(_keys(team)[1]) or 0)


def join(
    connection: Redis,
    team: str,
    request_id: str,
    round_number: int,
    since: datetime,
    unclaimed_seen: int | None,
) -> bool:
    """Wait for a free agent of `team`; False if one came free meanwhile (dial again now)."""
    script = connection.register_script(JOIN_SCRIPT)
    member = f"{request_id}:{round_number}"
    seen = -1 if unclaimed_seen is None else unclaimed_seen
    args: list[float | str | int] = [since.timestamp(), member, seen, WAITING_TTL_SECONDS]
    return not int(script(keys=list(_keys(team)), args=args))


def wake_oldest(connection: Redis, team: str) -> tuple[str, int] | None:
    """Take the request that has waited longest for `team`: (request id, round), or None."""
    script = connection.register_script(WAKE_SCRIPT)
    oldest = script(keys=list(_keys(team)), args=[WAITING_TTL_SECONDS])
    return _place(oldest) if isinstance(oldest, bytes) else None


def wake_after(
    connection: Redis, team: str, request_id: str, round_number: int
) -> tuple[str, int] | None:
    """Take the request that joined `team`'s line next after this one, or None."""
    script = connection.register_script(WAKE_AFTER_SCRIPT)
    younger = script(keys=[_keys(team)[0]], args=[f"{request_id}:{round_number}"])
    return _place(younger) if isinstance(younger, bytes) else None


def in_line(connection: Redis, places: Sequence[tuple[str, str, int]]) -> set[tuple[str, int]]:
    """Return which of `places` (team, request id, round) hold a place in their line."""
    pipeline = connection.pipeline(transaction=False)
    for team, request_id, round_number in places:
        pipeline.zscore(_keys(team)[0], f"{request_id}:{round_number}")
    scores = pipeline.execute()
    return {
        (request_id, round_number)
        for (_team, request_id, round_number), score in zip(places, scores, strict=True)
        if score is not None
    }


def waiting(connection: Redis, team: str) -> list[tuple[str, int]]:
    """Return the team's waiting requests, oldest first."""
    members = connection.zrange(_keys(team)[0], 0, -1)
    return [_place(member) for member in members if isinstance(member, bytes)]


def _place(member: bytes) -> tuple[str, int]:
    request_id, round_number = member.decode().rsplit(":", 1)
    return request_id, int(round_number)
