"""The worker refuses a Redis that may evict keys, and says how to fix it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.private_redis import PrivateRedis


def test_worker_refuses_a_redis_that_may_evict_queued_work(tmp_path: Path) -> None:
    redis = PrivateRedis(tmp_path, maxmemory_policy="allkeys-lru")
    redis.start()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "callback.cli", "worker", "--burst"],
            env={**os.environ, "REDIS_URL": redis.url},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        redis.stop()
    assert result.returncode != 0
    assert "maxmemory-policy is 'allkeys-lru'" in result.stderr
    assert "noeviction" in result.stderr
