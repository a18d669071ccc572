"""Token buckets in Redis that pace creates across every worker (TWILIO_CPS).

Calls and text messages each have a bucket of their own at the same rate: Twilio
limits calls per second per account and queues messages per sender, so a burst of
texts never delays a visitor's call, and neither kind floods the API.
"""

from __future__ import annotations

import time

from redis import Redis

BUCKET_KEY = "callback:cps:bucket"
MESSAGE_BUCKET_KEY = "callback:cps:messages"
# Refill by elapsed time on the server's clock (all workers share it), take one token if
# there is one, else say how long until there will be. Returns milliseconds to wait.
BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + (now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
return wait
"""


class CallPacer:
    """Blocks until this process may create one more call."""

    def __init__(
        self, connection: Redis, calls_per_second: float, bucket: str = BUCKET_KEY
    ) -> None:
        if calls_per_second <= 0:
            raise ValueError("TWILIO_CPS must be positive")
        self._script = connection.register_script(BUCKET_SCRIPT)
        self._rate = calls_per_second
        self._bucket = bucket
        # A burst of at most one second's worth keeps Twilio's own queue short.
        self._capacity = max(1.0, calls_per_second)

    def try_take(self) -> float:
        """Take a token if one is free; return 0, or the seconds to wait for one."""
        wait_ms = int(self._script(keys=[self._bucket], args=[self._rate, self._capacity]))
        return wait_ms / 1000

    def take(self, max_wait: float = 30.0) -> float:
        """Wait for a token and return the seconds waited; raise if over `max_wait`."""
        waited = 0.0
        while (wait := self.try_take()) > 0:
            if waited + wait > max_wait:
                raise TimeoutError("no call token within the wait limit")
            time.sleep(wait)
            waited += wait
        return waited
