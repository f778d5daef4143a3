"""One process's loaded services and the use cases that span them (catalog writes that must reach the live
index, ingest, feeds). The API lifespan, the CLI demo and the tests all build one `Runtime`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from memfeed.catalog import service as catalog_ops
from memfeed.catalog.embedding import Embedder, load_embedder
from memfeed.catalog.live import LiveCatalog
from memfeed.catalog.service import BatchError, ItemEntry, ItemFields, UpsertResult
from memfeed.events.records import IngestResult
from memfeed.events.service import EventService
from memfeed.feed.cursor import CursorCodec
from memfeed.feed.page_cache import CachedFeeds
from memfeed.feed.service import FeedPage, FeedQuery, FeedService
from memfeed.memory import MemoryService
from memfeed.memory.preferences import stated_preferences
from memfeed.platform.auth import ApiKeyVerifier, Caller, TokenVerifier
from memfeed.platform.cache import LocalCache, build_cache
from memfeed.platform.settings import Settings
from memfeed.platform.signing import jwt_secret, server_secret
from memfeed.platform.storage.db import Database, create_database
from memfeed.platform.storage.schema import Item
from memfeed.platform.telemetry import Telemetry
from memfeed.privacy.service import ErasureReport, PrivacyService, UserExport
from memfeed.registry.versions import ModelRegistry
from memfeed.registry.watcher import ModelWatcher
from memfeed.users.records import UserRecord
from memfeed.users.service import UserService
from vectorstore import VectorIndex

log = logging.getLogger("memfeed")


@dataclass
class BatchOutcome:
    upserted: int
    errors: list[BatchError] = field(default_factory=list)


@dataclass
class Runtime:
    settings: Settings
    database: Database
    embedder: Embedder
    catalog: LiveCatalog
    feeds: FeedService
    keys: ApiKeyVerifier
    tokens: TokenVerifier
    registry: ModelRegistry
    watcher: ModelWatcher
    users: UserService
    memories: MemoryService
    privacy: PrivacyService
    telemetry: Telemetry = field(default_factory=Telemetry)
    """Counters for /metrics, shared with the feed and memory services."""
    feed_cache: CachedFeeds | None = None
    similar_cache: LocalCache = field(default_factory=lambda: LocalCache(4096))
    """Similar items by (item, limit, catalog version): in process, since the catalog version is."""

    # --- catalog --------------------------------------------------------------------------------

    def upsert_item(self, item_id: str, fields: ItemFields) -> UpsertResult:
        entry = ItemEntry(item_id=item_id, **fields.model_dump())
        return self._upsert([entry])[0]

    def upsert_items(self, raw_items: Sequence[Any]) -> BatchOutcome:
        valid, errors = catalog_ops.validate_entries(raw_items)
        results = self._upsert([entry for _, entry in valid]) if valid else []
        return BatchOutcome(upserted=len(results), errors=errors)

    def _upsert(self, entries: Sequence[ItemEntry]) -> list[UpsertResult]:
        with self.database.session() as session:
            batch = catalog_ops.upsert_items(session, self.embedder, entries)
        self.catalog.apply(batch.cards, batch.vectors)
        return batch.results

    def get_item(self, item_id: str) -> Item:
        with self.database.session() as session:
            return catalog_ops.get_item(session, item_id)

    def delete_item(self, item_id: str, *, hard: bool = False) -> None:
        with self.database.session() as session:
            item = catalog_ops.get_item(session, item_id)
            card = catalog_ops.card_of(item)
            catalog_ops.delete_item(session, item_id, hard=hard)
        if hard:
            self.catalog.forget([item_id])
        else:
            self.catalog.apply([replace(card, available=False)], {})

    # --- users and events -----------------------------------------------------------------------

    def upsert_user(self, user_id: str, traits: dict[str, Any]) -> tuple[UserRecord, bool]:
        return self.users.upsert(user_id, traits)

    def ingest(self, raw_events: Sequence[Any], *, only_user: str | None = None) -> IngestResult:
        return EventService(self.database, self.settings, self.telemetry).ingest(
            raw_events, only_user=only_user
        )

    def feed(self, query: FeedQuery) -> FeedPage:
        return self.feed_cache.feed(query) if self.feed_cache is not None else self.feeds.feed(query)

    def similar(self, item_id: str, limit: int) -> list[tuple[str, float]]:
        ttl = self.settings.similar_cache_seconds
        key = f"{item_id}\x1f{limit}\x1f{self.catalog.version}"
        cached = self.similar_cache.get(key) if ttl > 0 else None
        if cached is not None and self.catalog.card(item_id) is not None:
            self.telemetry.count("cache_requests", cache="similar", result="hit")
            return [(i, s) for i, s in json.loads(cached)]
        hits = self.feeds.similar(item_id, limit)
        if ttl > 0:
            self.telemetry.count("cache_requests", cache="similar", result="miss")
            self.similar_cache.put(key, json.dumps(hits).encode(), ttl)
        return hits

    # --- privacy --------------------------------------------------------------------------------

    def export_user(self, user_id: str) -> UserExport:
        return self.privacy.export(user_id)

    def erase_user(self, user_id: str, requested_by: Caller) -> ErasureReport:
        """Erase the user everywhere (database, memory cache, the serving model's factors) and audit it."""
        report = self.privacy.erase(user_id, key_id=requested_by.key_id, scope=str(requested_by.scope))
        log.info("user erased: %s", report.removed)
        return report

    def close(self) -> None:
        self.database.dispose()


def build_runtime(settings: Settings, *, embedder: Embedder | None = None) -> Runtime:
    """Open the database, load the embedder once, embed what lacks a vector, and load the live catalog."""
    database = create_database(settings.resolved_database_url)
    embedder = embedder or load_embedder(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    with database.session() as session:
        embedded = catalog_ops.embed_missing(session, embedder)
    if embedded:
        log.info("embedded %d items lacking a current vector", embedded)
    index = VectorIndex(
        embedder.dim,
        hnsw_threshold=settings.hnsw_threshold,
        hnsw_m=settings.hnsw_m,
        ef_search=settings.hnsw_ef_search,
    )
    catalog = LiveCatalog(index, embedder.embedder_id)
    catalog.sync(database)
    feeds = FeedService(database, catalog, settings, CursorCodec(server_secret(settings)))
    feeds.refresh_popularity(force=True)
    tokens = TokenVerifier(
        secret=None if settings.jwt_public_key else jwt_secret(settings),
        public_key=settings.jwt_public_key,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    telemetry = Telemetry()
    memories = MemoryService(database, embedder, settings, server_secret(settings), telemetry=telemetry)
    feeds.stated_preferences = lambda user_id: stated_preferences(memories, user_id)
    feeds.telemetry = telemetry
    registry = ModelRegistry(settings.models_dir)
    privacy = PrivacyService(database, memories, lambda: feeds.model, server_secret(settings))
    watcher = ModelWatcher(registry, feeds, suppress=privacy.suppress)
    watcher.check()
    return Runtime(
        settings=settings,
        database=database,
        embedder=embedder,
        catalog=catalog,
        feeds=feeds,
        keys=ApiKeyVerifier(database, settings.api_key_cache_seconds),
        tokens=tokens,
        registry=registry,
        watcher=watcher,
        users=UserService(database),
        memories=memories,
        privacy=privacy,
        telemetry=telemetry,
        feed_cache=CachedFeeds(
            feeds,
            database,
            build_cache(settings),
            settings.feed_cache_seconds,
            telemetry,
            settings.popularity_refresh_seconds,
        ),
    )
