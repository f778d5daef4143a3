"""Short-lived caches of computed responses: in process by default, in Redis when `MEMFEED_REDIS_URL` is set.

Values are bytes with a TTL. Correctness never depends on expiry: callers put everything a value depends on
into its key (see feed_cache.py), so a stale entry is simply never asked for again; the TTL only bounds memory
and how long slowly-changing inputs (popularity) may lag. A Redis outage degrades to misses, never to errors.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Protocol

import redis

from memfeed.platform.settings import Settings

log = logging.getLogger("memfeed.platform.cache")


class ResponseCache(Protocol):
    def get(self, key: str) -> bytes | None: ...

    def put(self, key: str, value: bytes, ttl_seconds: float) -> None: ...


class LocalCache:
    """An LRU bounded by `capacity` entries, each with its own expiry. Thread-safe."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(capacity, 0)
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        now = time.monotonic()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= now:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: str, value: bytes, ttl_seconds: float) -> None:
        if not self.capacity or ttl_seconds <= 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


class RedisCache:
    """Shared by every worker; a failing Redis is logged (at most once a minute) and treated as a miss."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._warned_at = 0.0

    @classmethod
    def from_url(cls, url: str, prefix: str, timeout_seconds: float) -> RedisCache:
        client = redis.Redis.from_url(
            url, socket_timeout=timeout_seconds, socket_connect_timeout=timeout_seconds
        )
        return cls(client, prefix)

    def get(self, key: str) -> bytes | None:
        try:
            value = self.client.get(self.prefix + key)
        except redis.RedisError as exc:
            self._warn(exc)
            return None
        return value if isinstance(value, bytes) else None

    def put(self, key: str, value: bytes, ttl_seconds: float) -> None:
        if ttl_seconds <= 0:
            return
        try:
            self.client.set(self.prefix + key, value, px=max(int(ttl_seconds * 1000), 1))
        except redis.RedisError as exc:
            self._warn(exc)

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned_at >= 60:
            self._warned_at = now
            log.warning("response cache unavailable, serving uncached: %s", exc)


def build_cache(settings: Settings) -> ResponseCache:
    if settings.redis_url:
        return RedisCache.from_url(
            settings.redis_url, settings.cache_redis_prefix, settings.cache_redis_timeout_seconds
        )
    return LocalCache(settings.cache_max_entries)
