"""Token-bucket rate limits per API key and per end user, in process or shared through Redis.

A bucket holds at most `burst` tokens and refills at `per_minute / 60` tokens a second; a request takes one
token from every bucket it is charged to (its key's and, when known, its user's), all or none: a request the
user's bucket refuses costs the key's bucket nothing. Buckets are per route class, so a flood of events never
eats the feed's budget. No HTTP here: api/ratelimit.py maps routes to classes and decisions to a 429.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from memfeed.platform.settings import Settings

log = logging.getLogger("memfeed.platform.ratelimit")

Clock = Callable[[], float]


class RouteClass(StrEnum):
    events = "events"
    feed = "feed"
    memory = "memory"
    admin = "admin"
    default = "default"


@dataclass(frozen=True)
class Rate:
    """A sustained rate and the burst (bucket capacity) allowed on top of it after a quiet spell."""

    per_minute: float
    burst: int

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


@dataclass(frozen=True)
class Bucket:
    """One bucket a request is charged to: its storage key, its rate and whom it counts (`key` or `user`)."""

    key: str
    rate: Rate
    scope: str


@dataclass(frozen=True)
class Decision:
    """The outcome for one request. `bucket` is the binding one: the refusing bucket with the longest wait,
    else the one with the fewest tokens left. `retry_after` is in seconds (0 when allowed)."""

    allowed: bool
    bucket: Bucket
    remaining: int
    retry_after: float


@dataclass(frozen=True)
class Policy:
    """A route class's budgets: per API key, and per end user (None: the class has no user, e.g. admin)."""

    key: Rate
    user: Rate | None


def refill(level: float, elapsed: float, rate: Rate) -> float:
    """Tokens after `elapsed` seconds (a negative elapsed, a clock step back, adds nothing), capped at burst."""
    return min(float(rate.burst), level + max(elapsed, 0.0) * rate.per_second)


def settle(
    levels: Sequence[float], rates: Sequence[Rate], cost: float = 1.0
) -> tuple[bool, list[float], int, float]:
    """Take `cost` from every bucket or from none: `(allowed, new levels, binding index, retry_after)`.

    The Redis script in this module does the same arithmetic; keep the two in step.
    """
    waits = [
        (cost - level) / rate.per_second for level, rate in zip(levels, rates, strict=True) if level < cost
    ]
    if waits:
        refused = [i for i, level in enumerate(levels) if level < cost]
        binding = max(refused, key=lambda i: (cost - levels[i]) / rates[i].per_second)
        return False, list(levels), binding, max(waits)
    after = [level - cost for level in levels]
    binding = min(range(len(after)), key=lambda i: after[i])
    return True, after, binding, 0.0


class BackendUnavailable(Exception):
    """The shared bucket store did not answer; the limiter lets the request through (fail open)."""


class BucketStore(Protocol):
    def take(self, buckets: Sequence[Bucket], cost: float = 1.0) -> Decision: ...

    def close(self) -> None: ...


def _decision(
    buckets: Sequence[Bucket], allowed: bool, levels: Sequence[float], binding: int, retry: float
) -> Decision:
    return Decision(allowed, buckets[binding], max(0, math.floor(levels[binding] + 1e-9)), retry)


class LocalBuckets:
    """Buckets in this process's memory (one lock; a monotonic clock by default, injectable for tests).

    Limits are per worker process: with N workers a client gets up to N times the budget; set
    `MEMFEED_REDIS_URL` to share them. Full buckets are dropped in amortized sweeps (a full bucket and a
    missing one are the same), so memory follows the number of recently active keys and users.
    """

    def __init__(self, clock: Clock = time.monotonic, *, sweep_at: int = 10_000) -> None:
        self._clock = clock
        self._state: dict[str, tuple[float, float, Rate]] = {}
        self._lock = threading.Lock()
        self._min_sweep = sweep_at
        self._sweep_at = sweep_at

    def take(self, buckets: Sequence[Bucket], cost: float = 1.0) -> Decision:
        with self._lock:
            now = self._clock()
            levels = [self._level(bucket, now) for bucket in buckets]
            allowed, after, binding, retry = settle(levels, [b.rate for b in buckets], cost)
            for bucket, level in zip(buckets, after, strict=True):
                self._state[bucket.key] = (level, now, bucket.rate)
            if len(self._state) > self._sweep_at:
                self._sweep(now)
        return _decision(buckets, allowed, after, binding, retry)

    def __len__(self) -> int:
        return len(self._state)

    def close(self) -> None:
        with self._lock:
            self._state.clear()

    def _level(self, bucket: Bucket, now: float) -> float:
        held = self._state.get(bucket.key)
        if held is None:
            return float(bucket.rate.burst)
        level, at, _ = held
        return refill(level, now - at, bucket.rate)

    def _sweep(self, now: float) -> None:
        full = [
            k for k, (level, at, rate) in self._state.items() if refill(level, now - at, rate) >= rate.burst
        ]
        for key in full:
            del self._state[key]
        self._sweep_at = max(self._min_sweep, 2 * len(self._state))


# One hash per bucket {tokens, ts}; KEYS are the buckets, ARGV[1] the cost, then per bucket its tokens per
# second and capacity. Time is the server's (TIME), so workers with skewed clocks agree. All or none, as in
# `settle`. The state expires once the bucket would be full again (a missing hash reads as full).
TAKE_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cost = tonumber(ARGV[1])
local levels = {}
local allowed = 1
local binding = 1
local retry = 0
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i])
  local capacity = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', key, 'tokens', 'ts')
  local level = tonumber(state[1])
  local ts = tonumber(state[2])
  if level == nil or ts == nil then
    level = capacity
  elseif now > ts then
    level = math.min(capacity, level + (now - ts) * rate)
  end
  levels[i] = level
  if level < cost then
    local wait = (cost - level) / rate
    if allowed == 1 or wait > retry then
      binding = i
      retry = wait
    end
    allowed = 0
  end
end
if allowed == 1 then
  for i = 1, #KEYS do
    levels[i] = levels[i] - cost
    if levels[i] < levels[binding] then binding = i end
  end
end
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i])
  local capacity = tonumber(ARGV[2 * i + 1])
  redis.call('HSET', key, 'tokens', string.format('%.6f', levels[i]), 'ts', string.format('%.6f', now))
  redis.call('PEXPIRE', key, math.ceil(capacity / rate * 1000) + 1000)
end
return {allowed, binding, string.format('%.6f', levels[binding]), string.format('%.6f', retry)}
"""


class RedisBuckets:
    """Buckets in Redis, shared by every worker and instance pointing at it: one atomic script call
    (EVALSHA, loaded on first use) per request. Needs Redis >= 5 (effects replication of a script that reads
    TIME) and, on Redis Cluster, would need the buckets of one request in one slot: use a standalone or
    Sentinel Redis. Errors surface as `BackendUnavailable`."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._script = client.register_script(TAKE_SCRIPT)

    @classmethod
    def from_url(cls, url: str, prefix: str, timeout_seconds: float) -> RedisBuckets:
        """A client that gives up fast (no retries, short timeouts): a slow limiter must not slow serving."""
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        client = redis.Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, prefix)

    def redis_key(self, bucket: Bucket) -> str:
        return f"{self._prefix}:{bucket.key}"

    def take(self, buckets: Sequence[Bucket], cost: float = 1.0) -> Decision:
        from redis.exceptions import RedisError

        args: list[float] = [cost]
        for bucket in buckets:
            args += [bucket.rate.per_second, bucket.rate.burst]
        try:
            allowed, binding, level, retry = self._script(
                keys=[self.redis_key(b) for b in buckets], args=args
            )
        except (RedisError, OSError) as exc:
            raise BackendUnavailable(f"{type(exc).__name__}: {exc}") from exc
        index = int(binding) - 1
        return Decision(
            bool(int(allowed)), buckets[index], max(0, math.floor(float(level) + 1e-9)), float(retry)
        )

    def close(self) -> None:
        self._client.close()


class RateLimiter:
    """Charges a request to its key's and user's buckets of its route class, and fails open when the store
    does not answer: the request passes, a warning is logged (at most once a minute) and `unchecked` counts
    it. After a failure the store is not asked again for `backoff_seconds`, so a dead Redis costs one
    timeout per worker per backoff, not one per request."""

    def __init__(
        self,
        policies: Mapping[RouteClass, Policy],
        store: BucketStore,
        *,
        backoff_seconds: float = 2.0,
        clock: Clock = time.monotonic,
    ) -> None:
        self.policies = dict(policies)
        self.store = store
        self._backoff = backoff_seconds
        self._clock = clock
        self._skip_until = -math.inf
        self._next_warning = -math.inf
        self._lock = threading.Lock()
        self.refused: dict[tuple[str, str], int] = {}
        self.unchecked = 0
        self.backend_errors = 0

    def buckets(self, route_class: RouteClass, key_id: str, user_id: str | None) -> list[Bucket]:
        policy = self.policies[route_class]
        out = [Bucket(f"{route_class}:key:{key_id}", policy.key, "key")]
        if user_id is not None and policy.user is not None:
            out.append(Bucket(f"{route_class}:user:{user_id}", policy.user, "user"))
        return out

    def check(self, route_class: RouteClass, key_id: str, user_id: str | None = None) -> Decision | None:
        """The decision for one request, or None when the store was unreachable (the request passes)."""
        if self._clock() < self._skip_until:
            self._count_unchecked(None)
            return None
        try:
            decision = self.store.take(self.buckets(route_class, key_id, user_id))
        except BackendUnavailable as exc:
            self._skip_until = self._clock() + self._backoff
            self._count_unchecked(exc)
            return None
        if not decision.allowed:
            with self._lock:
                label = (route_class.value, decision.bucket.scope)
                self.refused[label] = self.refused.get(label, 0) + 1
        return decision

    def close(self) -> None:
        self.store.close()

    def _count_unchecked(self, error: BackendUnavailable | None) -> None:
        now = self._clock()
        with self._lock:
            self.unchecked += 1
            if error is not None:
                self.backend_errors += 1
            warn = error is not None and now >= self._next_warning
            if warn:
                self._next_warning = now + 60.0
        if warn:
            log.warning(
                "rate limit store unreachable, requests pass unchecked (fail open); %d so far: %s",
                self.unchecked,
                error,
            )


def policies_from_settings(settings: Settings) -> dict[RouteClass, Policy]:
    s = settings
    return {
        RouteClass.events: Policy(
            Rate(s.rate_limit_events_per_minute, s.rate_limit_events_burst),
            Rate(s.rate_limit_events_user_per_minute, s.rate_limit_events_user_burst),
        ),
        RouteClass.feed: Policy(
            Rate(s.rate_limit_feed_per_minute, s.rate_limit_feed_burst),
            Rate(s.rate_limit_feed_user_per_minute, s.rate_limit_feed_user_burst),
        ),
        RouteClass.memory: Policy(
            Rate(s.rate_limit_memory_per_minute, s.rate_limit_memory_burst),
            Rate(s.rate_limit_memory_user_per_minute, s.rate_limit_memory_user_burst),
        ),
        RouteClass.admin: Policy(Rate(s.rate_limit_admin_per_minute, s.rate_limit_admin_burst), None),
        RouteClass.default: Policy(
            Rate(s.rate_limit_default_per_minute, s.rate_limit_default_burst),
            Rate(s.rate_limit_default_user_per_minute, s.rate_limit_default_user_burst),
        ),
    }


def build_rate_limiter(settings: Settings, *, clock: Clock = time.monotonic) -> RateLimiter | None:
    """The limiter the settings ask for: None when disabled, Redis-backed when `redis_url` is set."""
    if not settings.rate_limit_enabled:
        return None
    store: BucketStore
    if settings.redis_url:
        store = RedisBuckets.from_url(
            settings.redis_url, settings.rate_limit_redis_prefix, settings.rate_limit_redis_timeout_seconds
        )
    else:
        store = LocalBuckets(clock)
    return RateLimiter(policies_from_settings(settings), store, clock=clock)
