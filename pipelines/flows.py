"""Prefect flows: thin orchestration over `memfeed` core functions (no business logic here).

Run without a server (ephemeral mode) from `memfeed retrain`, or served on schedules by
`memfeed pipelines serve` (see deployments.py).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from prefect import flow, get_run_logger, task

from memfeed.catalog.embedding import load_embedder
from memfeed.catalog.service import CatalogService
from memfeed.memory.service import purge_expired_memories
from memfeed.platform.settings import Settings, get_settings
from memfeed.platform.storage.db import create_database
from memfeed.registry.versions import ModelRegistry
from memfeed.training.retrain import (
    Decision,
    Evaluation,
    PromoteMode,
    TrainingData,
    champion_params,
    decide,
    evaluate,
    load_training_data,
    publish,
    train_params,
)
from memfeed.training.runs import retrain_lock


@dataclass
class RetrainReport:
    version: str
    promoted: bool
    reason: str
    metrics: dict[str, Any]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@task(name="embed-items", retries=1)
def embed_items_task(settings: Settings) -> int:
    """Embed items whose text changed or that lack a vector for the current embedder."""
    logger = get_run_logger()
    embedder = load_embedder(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    database = create_database(settings.resolved_database_url)
    try:
        count = CatalogService(database, embedder).embed_missing(progress=logger.info)
    finally:
        database.dispose()
    logger.info("embedded %d items (unchanged items skipped by content hash)", count)
    return count


@task(name="load-training-data")
def load_task(settings: Settings) -> TrainingData:
    embedder = load_embedder(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    database = create_database(settings.resolved_database_url)
    try:
        return load_training_data(database, embedder.embedder_id, embedder.dim)
    finally:
        database.dispose()


@task(name="evaluate")
def evaluate_task(data: TrainingData, settings: Settings, registry: ModelRegistry) -> Evaluation:
    """Challenger vs champion (same training split) vs baselines on one temporal hold-out."""
    result = evaluate(data, train_params(settings), settings, champion_params(registry.champion_manifest()))
    get_run_logger().info("metrics: %s", {k: v for k, v in result.metrics.items()})
    return result


@task(name="publish")
def publish_task(
    data: TrainingData,
    evaluation: Evaluation,
    decision: Decision,
    settings: Settings,
    registry: ModelRegistry,
) -> str:
    embedder = load_embedder(
        settings.embedding_model, settings.embedding_device, settings.embedding_batch_size
    )
    manifest = publish(
        registry,
        data,
        train_params(settings),
        evaluation,
        decision,
        embedder_id=embedder.embedder_id,
        settings=settings,
    )
    return manifest.version


@flow(name="embed-items")
def embed_items_flow() -> int:
    return embed_items_task(get_settings())


@flow(name="retrain")
def retrain_flow(promote: str = "auto") -> dict[str, Any]:
    """embed -> load -> train and evaluate -> decide -> publish (-> promote). One at a time (a file lock)."""
    settings = get_settings()
    started = time.perf_counter()
    registry = ModelRegistry(settings.models_dir)
    with retrain_lock(settings.models_dir):
        embed_items_task(settings)
        data = load_task(settings)
        evaluation = evaluate_task(data, settings, registry)
        decision = decide(evaluation, PromoteMode(promote), settings.promotion_margin)
        get_run_logger().info("decision: %s", decision.reason)
        version = publish_task(data, evaluation, decision, settings, registry)
    report = RetrainReport(
        version,
        decision.promote,
        decision.reason,
        evaluation.metrics,
        round(time.perf_counter() - started, 2),
    )
    return report.to_dict()


@task(name="purge-expired-memories", retries=1)
def purge_memories_task(settings: Settings) -> int:
    """Delete memories past their expiry (already invisible to every read; this frees the rows)."""
    database = create_database(settings.resolved_database_url)
    try:
        with database.session() as session:
            count = purge_expired_memories(session)
    finally:
        database.dispose()
    get_run_logger().info("purged %d expired memories", count)
    return count


@flow(name="purge")
def purge_flow(keep: int | None = None) -> list[str]:
    """Remove stale model versions (keeps the newest N, the champion and the rollback target) and
    expired memories (their count is logged). Returns the removed versions."""
    settings = get_settings()
    removed = ModelRegistry(settings.models_dir).purge(keep if keep is not None else settings.keep_versions)
    get_run_logger().info("removed %d stale versions", len(removed))
    purge_memories_task(settings)
    return removed
