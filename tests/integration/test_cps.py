"""The call pacer is one token bucket in Redis, shared by every worker."""

from __future__ import annotations

import pytest
from redis import Redis

from workers.cps import CallPacer


def test_bucket_allows_a_burst_of_one_seconds_worth_then_asks_to_wait(redis: Redis) -> None:
    pacer = CallPacer(redis, calls_per_second=2)
    assert pacer.try_take() == 0
    assert pacer.try_take() == 0
    assert 0 < pacer.try_take() <= 0.5


def test_two_workers_share_one_bucket(redis: Redis) -> None:
    first, second = CallPacer(redis, 1), CallPacer(redis, 1)
    assert first.try_take() == 0
    assert 0 < second.try_take() <= 1.0


def test_zero_rate_is_refused(redis: Redis) -> None:
    with pytest.raises(ValueError, match="TWILIO_CPS"):
        CallPacer(redis, 0)
