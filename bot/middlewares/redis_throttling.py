"""Per-customer throttling shared by every replica: the same token bucket, kept in Redis.

Behaviour is the in-memory ThrottlingMiddleware's (bot/middlewares/throttling.py): `burst`
updates at once, refilled at `rate` a second; over the limit one notice, then silence
until the bucket refills. One Lua script reads, refills, takes and writes the bucket
atomically, so two replicas counting the same customer never both let a token through.
Time is the callers' wall clock (replicas run NTP); a skew only shifts the refill.

When Redis does not answer, updates are let through (a throttle must never take the
shop down) and that is logged once per outage.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any

from bot.i18n import Catalogues
from bot.middlewares.throttling import ThrottlingMiddleware

log = logging.getLogger(__name__)

KEY_PREFIX = "smm-bot:throttle"

# KEYS[1] bucket; ARGV: rate, burst, now (seconds), ttl (ms). Returns {allowed, warn}.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 't', 'a', 'w')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
local warned = state[3] == '1'
if tokens == nil or at == nil then
    tokens = burst
    at = now
    warned = false
end
if now > at then
    tokens = math.min(burst, tokens + (now - at) * rate)
    at = now
end
local allowed = 0
local warn = 0
if tokens >= 1 then
    tokens = tokens - 1
    allowed = 1
    warned = false
else
    if not warned then
        warn = 1
    end
    warned = true
end
redis.call('HSET', KEYS[1], 't', string.format('%.6f', tokens), 'a', string.format('%.6f', at),
    'w', warned and '1' or '0')
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {allowed, warn}
"""


class RedisThrottlingMiddleware(ThrottlingMiddleware):
    def __init__(
        self,
        i18n: Catalogues,
        client: Any,
        *,
        rate: float = 2.0,
        burst: int = 5,
        clock: Callable[[], float] = time.time,
        prefix: str = KEY_PREFIX,
    ) -> None:
        super().__init__(i18n, rate=rate, burst=burst, clock=clock)
        self.client = client
        self.prefix = prefix
        # A bucket untouched for this long is full again: Redis may forget it.
        self.ttl_ms = math.ceil(burst / rate * 1000) + 1000
        self._script = client.register_script(_TAKE)
        self._failing = False

    def key(self, user_id: int, bot_id: int) -> str:
        return f"{self.prefix}:{bot_id}:{user_id}"

    async def check(self, user_id: int, bot_id: int) -> tuple[bool, bool]:
        try:
            allowed, warn = await self._script(
                keys=[self.key(user_id, bot_id)],
                args=[repr(self.rate), self.burst, f"{self.clock():.6f}", self.ttl_ms],
            )
        except Exception as exc:  # Redis down or slow: let the customer through
            if not self._failing:
                log.warning("throttle: Redis unavailable (%s); not throttling meanwhile", exc)
                self._failing = True
            return True, False
        if self._failing:
            log.info("throttle: Redis answers again")
            self._failing = False
        return bool(allowed), bool(warn)


__all__ = ["RedisThrottlingMiddleware"]
