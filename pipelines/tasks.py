"""Prefect tasks: each wraps one `memfeed` core call with a name, retries where they pay, and a log line.

None caches (`NO_CACHE`): every task is a step of one run over live data, and hashing inputs such as the
embedder or a whole training set for a cache key would cost more than it could save.
"""

from __future__ import annotations

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from memfeed.catalog.embedding import Embedder, load_embedder
from memfeed.catalog.service import CatalogService
from memfeed.memory.service import purge_expired_memories
from memfeed.platform.settings import Settings
from memfeed.platform.storage.db import open_database
from memfeed.registry.versions import ModelRegistry
from memfeed.training.retrain import (
    Evaluation,
    PromotionDecision,
    TrainingData,
    champion_params,
    evaluate,
    load_training_data,
    publish,
    train_params,
)


def settings_embedder(settings: Settings) -> Embedder:
    """The embedder these settings name; a flow loads it once and hands it to its tasks."""
    return load_embedder(settings.embedding_model, settings.embedding_device, settings.embedding_batch_size)


@task(name="embed-items", retries=1, cache_policy=NO_CACHE)
def embed_items_task(settings: Settings, embedder: Embedder) -> int:
    """Embed items whose text changed or that lack a vector for the current embedder."""
    logger = get_run_logger()
    with open_database(settings) as database:
        count = CatalogService(database, embedder).embed_missing(progress=logger.info)
    logger.info("embedded %d items (unchanged items skipped by content hash)", count)
    return count


@task(name="load-training-data", cache_policy=NO_CACHE)
def load_task(settings: Settings, embedder: Embedder) -> TrainingData:
    with open_database(settings) as database:
        return load_training_data(database, embedder.embedder_id, embedder.dim)


@task(name="evaluate", cache_policy=NO_CACHE)
def evaluate_task(data: TrainingData, settings: Settings, registry: ModelRegistry) -> Evaluation:
    """Challenger vs champion (same training split) vs baselines on one temporal hold-out."""
    result = evaluate(data, train_params(settings), settings, champion_params(registry.champion_manifest()))
    get_run_logger().info("metrics: %s", {k: v for k, v in result.metrics.items()})
    return result


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(
    data: TrainingData,
    evaluation: Evaluation,
    decision: PromotionDecision,
    settings: Settings,
    registry: ModelRegistry,
    embedder_id: str,
) -> str:
    """Fit on all events and write the version (promoted if decided); returns the version id."""
    manifest = publish(
        registry,
        data,
        train_params(settings),
        evaluation,
        decision,
        embedder_id=embedder_id,
        settings=settings,
    )
    return manifest.version


@task(name="purge-model-versions", cache_policy=NO_CACHE)
def purge_versions_task(registry: ModelRegistry, keep: int) -> list[str]:
    """Remove versions beyond the newest `keep`, sparing the champion and the rollback target."""
    removed = registry.purge(keep)
    get_run_logger().info("removed %d stale versions", len(removed))
    return removed


@task(name="purge-expired-memories", retries=1, cache_policy=NO_CACHE)
def purge_memories_task(settings: Settings) -> int:
    """Delete memories past their expiry (already invisible to every read; this frees the rows)."""
    with open_database(settings) as database:
        count = purge_expired_memories(database)
    get_run_logger().info("purged %d expired memories", count)
    return count
