"""One process's loaded services (catalog with its live view, events, feeds, memories, privacy) and the
use cases not yet in a service. The API lifespan, the CLI demo and the tests all build one `Runtime`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from memfeed.catalog.embedding import Embedder, load_embedder
from memfeed.catalog.live import LiveCatalog
from memfeed.catalog.service import CatalogService
from memfeed.events.records import IngestResult
from memfeed.events.service import EventService
from memfeed.feed.cursor import CursorCodec
from memfeed.feed.service import FeedService
from memfeed.memory import MemoryStore
from memfeed.memory.preferences import stated_preferences
from memfeed.platform.auth import ApiKeyVerifier, Caller, TokenVerifier
from memfeed.platform.cache import build_cache
from memfeed.platform.settings import Settings
from memfeed.platform.signing import jwt_secret, server_secret
from memfeed.platform.storage.db import Database, create_database
from memfeed.platform.storage.schema import User
from memfeed.platform.storage.types import utcnow
from memfeed.platform.telemetry import Telemetry
from memfeed.privacy.service import ErasureReport, PrivacyService, UserExport
from memfeed.registry.versions import ModelRegistry
from memfeed.registry.watcher import ModelWatcher
from vectorstore import VectorIndex

log = logging.getLogger("memfeed")


@dataclass
class Runtime:
    settings: Settings
    database: Database
    embedder: Embedder
    catalog: CatalogService
    events: EventService
    feeds: FeedService
    keys: ApiKeyVerifier
    tokens: TokenVerifier
    registry: ModelRegistry
    watcher: ModelWatcher
    memories: MemoryStore
    privacy: PrivacyService
    telemetry: Telemetry = field(default_factory=Telemetry)
    """Counters for /metrics, shared with the feed, event and memory services."""

    # --- users and events -----------------------------------------------------------------------

    def upsert_user(self, user_id: str, traits: dict[str, Any]) -> tuple[User, bool]:
        with self.database.session() as session:
            user = session.get(User, user_id)
            created = user is None
            now = utcnow()
            if user is None:
                user = User(user_id=user_id, created_at=now)
                session.add(user)
            user.traits = traits
            user.updated_at = now
            return user, created

    def ingest(self, raw_events: Sequence[Any], *, only_user: str | None = None) -> IngestResult:
        return self.events.ingest(raw_events, only_user=only_user)

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
    index = VectorIndex(
        embedder.dim,
        hnsw_threshold=settings.hnsw_threshold,
        hnsw_m=settings.hnsw_m,
        ef_search=settings.hnsw_ef_search,
    )
    live = LiveCatalog(index, embedder.embedder_id)
    catalog = CatalogService(database, embedder, live)
    embedded = catalog.embed_missing()
    if embedded:
        log.info("embedded %d items lacking a current vector", embedded)
    catalog.sync()
    telemetry = Telemetry()
    memories = MemoryStore(database, embedder, settings, server_secret(settings))
    memories.telemetry = telemetry
    feeds = FeedService(
        database,
        live,
        settings,
        CursorCodec(server_secret(settings)),
        telemetry,
        stated_preferences=lambda user_id: stated_preferences(memories, user_id),
        page_cache=build_cache(settings),
    )
    feeds.refresh_popularity(force=True)
    tokens = TokenVerifier(
        secret=None if settings.jwt_public_key else jwt_secret(settings),
        public_key=settings.jwt_public_key,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
    )
    registry = ModelRegistry(settings.models_dir)
    watcher = ModelWatcher(registry, feeds)
    privacy = PrivacyService(database, memories, feeds, server_secret(settings))
    watcher.suppress = privacy.suppress
    watcher.check()
    return Runtime(
        settings=settings,
        database=database,
        embedder=embedder,
        catalog=catalog,
        events=EventService(database, settings, telemetry),
        feeds=feeds,
        keys=ApiKeyVerifier(database, settings.api_key_cache_seconds),
        tokens=tokens,
        registry=registry,
        watcher=watcher,
        memories=memories,
        privacy=privacy,
        telemetry=telemetry,
    )
