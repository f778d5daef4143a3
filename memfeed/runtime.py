"""The composition root: builds one process's services from settings, each handed what it needs in its
constructor. The API lifespan, the CLI and the tests build one `Runtime`; nothing else wires services.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from memfeed.catalog.embedding import Embedder, load_embedder
from memfeed.catalog.live import LiveCatalog
from memfeed.catalog.service import CatalogService
from memfeed.events.service import EventService
from memfeed.feed.cursor import CursorCodec
from memfeed.feed.service import FeedService
from memfeed.memory import MemoryService
from memfeed.memory.preferences import stated_preferences
from memfeed.platform.auth import ApiKeyVerifier, TokenVerifier
from memfeed.platform.cache import build_cache
from memfeed.platform.settings import Settings
from memfeed.platform.signing import jwt_secret, server_secret
from memfeed.platform.storage.db import Database, create_database
from memfeed.platform.telemetry import Telemetry
from memfeed.privacy.service import PrivacyService
from memfeed.registry.service import ModelService
from memfeed.registry.versions import ModelRegistry
from memfeed.registry.watcher import ModelWatcher
from memfeed.training.runs import RunService
from memfeed.users.service import UserService
from vectorstore import VectorIndex

log = logging.getLogger("memfeed")


@dataclass(frozen=True)
class Runtime:
    """The services of one process. Adapters take the one they need (api/deps.py); none reaches through
    one service to another."""

    settings: Settings
    database: Database
    telemetry: Telemetry
    """Counters for /metrics, shared by the services that count."""
    catalog: CatalogService
    events: EventService
    users: UserService
    feeds: FeedService
    memories: MemoryService
    privacy: PrivacyService
    models: ModelService
    runs: RunService
    watcher: ModelWatcher
    """Swaps in a newly promoted champion; the API polls it every `model_poll_seconds`."""
    keys: ApiKeyVerifier
    tokens: TokenVerifier

    def close(self) -> None:
        self.database.dispose()


def build_runtime(
    settings: Settings, *, embedder: Embedder | None = None, popularity_in_background: bool = False
) -> Runtime:
    """Open the database, load the embedder once, embed what lacks a vector, load the live catalog and the
    champion. `popularity_in_background`: a background task refreshes popularity, never a request."""
    database = create_database(settings.resolved_database_url)
    embedder = embedder or load_embedder(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    telemetry = Telemetry()
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
    memories = MemoryService(database, embedder, settings, server_secret(settings), telemetry=telemetry)
    feeds = FeedService(
        database,
        live,
        settings,
        CursorCodec(server_secret(settings)),
        telemetry,
        stated_preferences=lambda user_id: stated_preferences(memories, user_id),
        page_cache=build_cache(settings),
        popularity_in_background=popularity_in_background,
    )
    feeds.refresh_popularity(force=True)
    privacy = PrivacyService(database, memories, lambda: feeds.model, server_secret(settings))
    registry = ModelRegistry(settings.models_dir)
    watcher = ModelWatcher(registry, feeds, suppress=privacy.suppress)
    watcher.check()
    return Runtime(
        settings=settings,
        database=database,
        telemetry=telemetry,
        catalog=catalog,
        events=EventService(database, settings, telemetry),
        users=UserService(database),
        feeds=feeds,
        memories=memories,
        privacy=privacy,
        models=ModelService(registry, watcher, lambda: feeds.model_version),
        runs=RunService(database, settings),
        watcher=watcher,
        keys=ApiKeyVerifier(database, settings.api_key_cache_seconds),
        tokens=TokenVerifier(
            secret=None if settings.jwt_public_key else jwt_secret(settings),
            public_key=settings.jwt_public_key,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
        ),
    )
