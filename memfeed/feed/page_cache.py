"""Feed pages cached per user, keyed by everything a page depends on.

The key holds the query (limit, cursor, filters), the serving model version, the user's event count and
newest event id (a new event, even a late one, or an erasure changes them), the user's memory version (a new
preference changes it), the catalog's last change and the popularity refresh period: one round trip of
indexed reads decides a hit, every input is shared (database, wall clock), so every worker invalidates
correctly without shared state, and a Redis cache is shared safely. The feed service re-checks item
availability on every hit, so a withdrawn item never comes back from the cache. Keys are hashes: no user id
is stored in Redis.
"""

from __future__ import annotations

import hashlib
import json
import time

from memfeed.feed.records import FeedItem, FeedPage, FeedQuery
from memfeed.feed.repository import FeedRepository
from memfeed.platform.cache import ResponseCache


class PageCache:
    def __init__(
        self,
        store: ResponseCache,
        repository: FeedRepository,
        ttl_seconds: float,
        popularity_period: float = 0.0,
    ) -> None:
        self.store = store
        self.repository = repository
        self.ttl_seconds = ttl_seconds
        self.popularity_period = popularity_period
        """Popularity is recomputed this often (seconds): a page never outlives its popularity period."""

    @property
    def enabled(self) -> bool:
        return self.ttl_seconds > 0

    def key(self, query: FeedQuery, model_version: str) -> str:
        inputs = self.repository.page_inputs(query.user_id)
        period = self.popularity_period
        parts = [
            query.user_id,
            str(query.limit),
            query.cursor or "",
            query.category or "",
            ",".join(sorted(query.exclude)),
            model_version,
            str(inputs.event_count),
            str(inputs.newest_event),
            str(inputs.memory_version),
            str(inputs.catalog_changed),
            str(int(time.time() // period) if period > 0 else 0),
        ]
        return "feed:" + hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()

    def get(self, key: str) -> FeedPage | None:
        raw = self.store.get(key)
        return decode(raw) if raw is not None else None

    def put(self, key: str, page: FeedPage) -> None:
        self.store.put(key, encode(page), self.ttl_seconds)


def encode(page: FeedPage) -> bytes:
    items = [[i.item_id, i.title, i.score, i.reason] for i in page.items]
    return json.dumps({"items": items, "next": page.next_cursor, "model": page.model_version}).encode()


def decode(raw: bytes) -> FeedPage:
    data = json.loads(raw)
    return FeedPage([FeedItem(*item) for item in data["items"]], data["next"], data["model"])
