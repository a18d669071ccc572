"""Keyed hashes of visitor numbers, for abuse limits that must not store the number.

Redis keys about one number are named `callback:phone:<phone_key>:<purpose>` (for
example `callback:phone:<key>:submissions`) and always carry a TTL. Keys made by a
library with its own naming (the `limits` counters) must still contain the `phone_key`.

Every such key is also named in the number's index, the sorted set
`callback:phone:<phone_key>:keys`, before it is written (`index_phone_keys`); each
name's score is when its key expires at the latest (the key may go sooner: a counter
keeps the TTL of its window's first hit). A data-subject export or erasure reads that
one set instead of SCANning every key in Redis, whose cost grows with everything else
Redis holds (10,000 scheduled dial jobs made one export's SCAN 40 ms). Each write drops
the names whose scores have passed, so the set holds only names of keys that may still
exist (and the last minute's), and the set itself expires a margin after its last name.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import cast

from flask import Flask, current_app
from redis import Redis

PHONE_KEY_PREFIX = "callback:phone:"
INDEX_PURPOSE = "keys"
# A name is kept this long after its key's latest expiry: the key is written a moment
# after it is named, so it may outlive the score by that moment.
INDEX_MARGIN_SECONDS = 60
# On the server's clock: name each key of ARGV[2..] (pairs: seconds, name) with expiry
# now + seconds (a later one already there is kept: ZADD GT), drop names expired more
# than ARGV[1] seconds ago, and let the set expire ARGV[1] seconds after its last name.
INDEX_SCRIPT = """
local now = tonumber(redis.call('TIME')[1])
local margin = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 'GT', now + tonumber(ARGV[i]), ARGV[i + 1])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - margin))
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('EXPIREAT', KEYS[1], tonumber(last[2]) + margin)
return 1
"""
# Delete every key the index names, then the index, in one step, so a key a submission
# names while an erasure runs is not left behind with its name gone; but a key named
# just before this runs and written just after (a round trip apart) lives unnamed
# until its TTL. Returns how many keys existed and were deleted, the index among them.
ERASE_SCRIPT = """
local names = redis.call('ZRANGE', KEYS[1], 0, -1)
table.insert(names, KEYS[1])
local deleted = 0
for i = 1, #names, 500 do
  deleted = deleted + redis.call('UNLINK', unpack(names, i, math.min(i + 499, #names)))
end
return deleted
"""


def phone_key(e164: str, app: Flask | None = None) -> str:
    """Return the HMAC-SHA256 of `e164` under PHONE_HASH_KEY, as hex."""
    secret = str((app or current_app).config["PHONE_HASH_KEY"]).encode()
    return hmac.new(secret, e164.encode(), hashlib.sha256).hexdigest()


def phone_redis_key(e164: str, purpose: str, app: Flask | None = None) -> str:
    """Return the Redis key for `purpose` (e.g. "submissions") about number `e164`."""
    return f"{PHONE_KEY_PREFIX}{phone_key(e164, app)}:{purpose}"


def phone_keys_index(e164: str, app: Flask | None = None) -> str:
    """Return the name of the set that names every Redis key about `e164`."""
    return phone_redis_key(e164, INDEX_PURPOSE, app)


def index_phone_keys(redis: Redis, e164: str, keys: Mapping[str, int]) -> None:
    """Name `keys` (about `e164`: each name with the seconds it lives at most) in the
    number's index.

    Call it before writing them: then no key about a number exists unnamed, even if the
    process dies between the two.
    """
    if not keys:
        return
    script = redis.register_script(INDEX_SCRIPT)
    args: list[str | int] = [INDEX_MARGIN_SECONDS]
    for name, seconds in keys.items():
        args += [max(int(seconds), 1), name]
    script(keys=[phone_keys_index(e164)], args=args)


def indexed_phone_keys(redis: Redis, e164: str) -> list[bytes]:
    """Return the keys about `e164` that exist now, its index among them (if it exists)."""
    index = phone_keys_index(e164).encode()
    named = cast(list[bytes], redis.zrange(index, 0, -1))  # the app's client answers in bytes
    candidates = [index, *sorted(named)]
    pipe = redis.pipeline(transaction=False)
    for key in candidates:
        pipe.exists(key)
    found = pipe.execute()
    return [key for key, exists in zip(candidates, found, strict=True) if exists]


def delete_phone_keys(redis: Redis, e164: str) -> int:
    """Delete every key about `e164` and its index; return how many existed."""
    script = redis.register_script(ERASE_SCRIPT)
    return int(script(keys=[phone_keys_index(e164)]))
