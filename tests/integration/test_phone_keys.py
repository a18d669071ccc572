"""A number's index of its Redis keys: each name expires with its key, and no sooner."""

from __future__ import annotations

from flask import Flask
from redis import Redis

from callback.phones.hashing import (
    INDEX_MARGIN_SECONDS,
    delete_phone_keys,
    index_phone_keys,
    indexed_phone_keys,
    phone_keys_index,
    phone_redis_key,
)
from tests.factories import VISITOR_LANDLINE


def _scores(redis: Redis, index: str) -> dict[bytes, float]:
    now = int(redis.time()[0])
    return {name: score - now for name, score in redis.zrange(index, 0, -1, withscores=True)}


def test_each_name_keeps_the_latest_expiry_of_its_key_and_the_index_outlives_them(
    app: Flask, redis: Redis
) -> None:
    index = phone_keys_index(VISITOR_LANDLINE)
    index_phone_keys(redis, VISITOR_LANDLINE, {"day": 86400, "hour": 3600})
    index_phone_keys(redis, VISITOR_LANDLINE, {"day": 60})  # a shorter one does not shorten it
    scores = _scores(redis, index)
    assert 86399 <= scores[b"day"] <= 86400
    assert 3599 <= scores[b"hour"] <= 3600
    assert 86400 + INDEX_MARGIN_SECONDS - 2 <= redis.ttl(index) <= 86400 + INDEX_MARGIN_SECONDS


def test_names_of_keys_long_expired_are_dropped_at_the_next_write(app: Flask, redis: Redis) -> None:
    index = phone_keys_index(VISITOR_LANDLINE)
    now = int(redis.time()[0])
    # Left by an earlier write: a key that expired an hour ago, and one just now.
    redis.zadd(index, {"gone": now - 3600, "just-gone": now - 1})
    index_phone_keys(redis, VISITOR_LANDLINE, {"new": 60})
    assert set(_scores(redis, index)) == {b"just-gone", b"new"}


def test_the_export_lists_only_keys_that_exist_and_the_erasure_deletes_all(
    app: Flask, redis: Redis
) -> None:
    live = phone_redis_key(VISITOR_LANDLINE, "test")
    index_phone_keys(redis, VISITOR_LANDLINE, {live: 600, "never-written": 600})
    redis.set(live, 1, ex=600)
    index = phone_keys_index(VISITOR_LANDLINE).encode()
    assert sorted(indexed_phone_keys(redis, VISITOR_LANDLINE)) == sorted([index, live.encode()])
    assert delete_phone_keys(redis, VISITOR_LANDLINE) == 2
    assert not redis.exists(index, live)
    assert indexed_phone_keys(redis, VISITOR_LANDLINE) == []
