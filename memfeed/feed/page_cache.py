"""Feed pages cached per user, keyed by everything a page depends on.

The key holds the query (limit, cursor, filters), the serving model version, the user's event count and
newest event id (a new event, even a late one, or an erasure changes them), the user's memory version (a new
preference changes it), the catalog's last change and the popularity refresh period: one round trip of
indexed reads decides a hit, every input is shared (database, wall clock), so every worker invalidates
correctly without shared state, and a Redis cache is shared safely. Item availability is re-checked on every hit, so
a withdrawn item never comes back from the cache. Keys are hashes: no user id is stored in Redis.
"""

from __future__ import annotations

import hashlib
import json
import time

from sqlalchemy import func, select

from memfeed.feed.service import FeedItem, FeedPage, FeedQuery, FeedService
from memfeed.platform.cache import ResponseCache
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Event, Item, MemoryVersion
from memfeed.platform.telemetry import Telemetry


class CachedFeeds:
    def __init__(
        self,
        feeds: FeedService,
        database: Database,
        cache: ResponseCache,
        ttl_seconds: float,
        telemetry: Telemetry,
        popularity_period: float = 0.0,
    ) -> None:
        self.feeds = feeds
        self.database = database
        self.cache = cache
        self.ttl_seconds = ttl_seconds
        self.telemetry = telemetry
        self.popularity_period = popularity_period
        """Popularity is recomputed this often (seconds): a page never outlives its popularity period."""

    def feed(self, query: FeedQuery) -> FeedPage:
        if self.ttl_seconds <= 0:
            return self.feeds.feed(query)
        version = self.feeds.model_version
        key = self.key(query, version)
        raw = self.cache.get(key)
        if raw is not None:
            page = decode(raw)
            if all(self._available(item.item_id) for item in page.items):
                self.telemetry.count("cache_requests", cache="feed", result="hit")
                return page
        self.telemetry.count("cache_requests", cache="feed", result="miss")
        page = self.feeds.feed(query)
        if page.model_version == version:  # a model swapped mid-request: the page is not the key's
            self.cache.put(key, encode(page), self.ttl_seconds)
        return page

    def key(self, query: FeedQuery, model_version: str | None = None) -> str:
        user = query.user_id
        with self.database.engine.connect() as connection:
            count, newest, memories, catalog = connection.execute(
                select(
                    select(func.count()).where(Event.user_id == user).scalar_subquery(),
                    select(func.max(Event.id)).where(Event.user_id == user).scalar_subquery(),
                    select(MemoryVersion.version).where(MemoryVersion.user_id == user).scalar_subquery(),
                    select(func.max(Item.updated_at)).scalar_subquery(),
                )
            ).one()
        period = self.popularity_period
        parts = [
            query.user_id,
            str(query.limit),
            query.cursor or "",
            query.category or "",
            ",".join(sorted(query.exclude)),
            model_version or self.feeds.model_version,
            str(count),
            str(newest),
            str(memories),
            str(catalog),
            str(int(time.time() // period) if period > 0 else 0),
        ]
        return "feed:" + hashlib.blake2b("\x1f".join(parts).encode(), digest_size=20).hexdigest()

    def _available(self, item_id: str) -> bool:
        card = self.feeds.catalog.card(item_id)
        return card is not None and card.available


def encode(page: FeedPage) -> bytes:
    items = [[i.item_id, i.title, i.score, i.reason] for i in page.items]
    return json.dumps({"items": items, "next": page.next_cursor, "model": page.model_version}).encode()


def decode(raw: bytes) -> FeedPage:
    data = json.loads(raw)
    return FeedPage([FeedItem(*item) for item in data["items"]], data["next"], data["model"])
