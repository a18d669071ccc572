"""Keyed hashes of visitor numbers, for abuse limits that must not store the number.

Redis keys about one number are named `callback:phone:<phone_key>:<purpose>` (for
example `callback:phone:<key>:submissions`) and always carry a TTL. Keys made by a
library with its own naming (the `limits` counters) must still contain the `phone_key`.

Every such key is also named in the number's index, the set
`callback:phone:<phone_key>:keys`, before it is written (`index_phone_keys`). A
data-subject export or erasure reads that one set instead of SCANning every key in
Redis, whose cost grows with everything else Redis holds (10,000 scheduled dial jobs
made one export's SCAN 40 ms). The index lives as long as its longest-lived member.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import cast

from flask import Flask, current_app
from redis import Redis

PHONE_KEY_PREFIX = "callback:phone:"
INDEX_PURPOSE = "keys"
# Add the names, then extend the index's TTL to ARGV[1] seconds unless it already lives
# longer (EXPIRE ... GT needs Redis 7; the embedded server is 6.2).
INDEX_SCRIPT = """
redis.call('SADD', KEYS[1], unpack(ARGV, 2))
if redis.call('TTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
return 1
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


def index_phone_keys(redis: Redis, e164: str, seconds: int, keys: Sequence[str]) -> None:
    """Name `keys` (about `e164`, none kept longer than `seconds`) in the number's index.

    Call it before writing them: then no key about a number exists unnamed, even if the
    process dies between the two.
    """
    script = redis.register_script(INDEX_SCRIPT)
    script(keys=[phone_keys_index(e164)], args=[max(int(seconds), 1), *keys])


def indexed_phone_keys(redis: Redis, e164: str) -> list[bytes]:
    """Return the keys about `e164` that exist now, its index among them (if it exists)."""
    index = phone_keys_index(e164).encode()
    named = cast(set[bytes], redis.smembers(index))  # the app's client answers in bytes
    candidates = [index, *sorted(named)]
    pipe = redis.pipeline(transaction=False)
    for key in candidates:
        pipe.exists(key)
    found = pipe.execute()
    return [key for key, exists in zip(candidates, found, strict=True) if exists]
