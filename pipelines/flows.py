"""Prefect flows: thin orchestration over `memfeed` core functions (no business logic here).

Run without a server (ephemeral mode) from `memfeed retrain`, or served on schedules by
`memfeed pipelines serve` (see deployments.py). Each flow reads `get_settings()` once at its entry unless
given `settings`, and passes them down; a flow that embeds loads the embedder once.

Prefect records a flow run's parameters in its database, Settings (with their secrets) included when
passed: in-process callers may pass them, deployments never do.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from prefect import flow, get_run_logger

from memfeed.platform.settings import Settings, get_settings
from memfeed.registry.versions import ModelRegistry
from memfeed.training.retrain import PromoteMode, decide
from memfeed.training.runs import retrain_lock
from pipelines.tasks import (
    embed_items_task,
    evaluate_task,
    load_task,
    publish_task,
    purge_memories_task,
    purge_versions_task,
    settings_embedder,
)


@dataclass
class RetrainReport:
    version: str
    promoted: bool
    reason: str
    metrics: dict[str, Any]
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@flow(name="embed-items")
def embed_items_flow(settings: Settings | None = None) -> int:
    """Embed new and changed items; returns how many were embedded."""
    settings = settings if settings is not None else get_settings()
    return embed_items_task(settings, settings_embedder(settings))


@flow(name="retrain")
def retrain_flow(promote: str = "auto", settings: Settings | None = None) -> dict[str, Any]:
    """embed -> load -> train and evaluate -> decide -> publish (-> promote). One at a time (a file lock).

    Returns `RetrainReport.to_dict()`: version, promoted, reason, metrics, seconds.
    """
    settings = settings if settings is not None else get_settings()
    started = time.perf_counter()
    registry = ModelRegistry(settings.models_dir)
    with retrain_lock(settings.models_dir):
        embedder = settings_embedder(settings)
        embed_items_task(settings, embedder)
        data = load_task(settings, embedder)
        evaluation = evaluate_task(data, settings, registry)
        decision = decide(evaluation, PromoteMode(promote), settings.promotion_margin)
        get_run_logger().info("decision: %s", decision.reason)
        version = publish_task(data, evaluation, decision, settings, registry, embedder.embedder_id)
    report = RetrainReport(
        version,
        decision.promote,
        decision.reason,
        evaluation.metrics,
        round(time.perf_counter() - started, 2),
    )
    return report.to_dict()


@flow(name="purge")
def purge_flow(keep: int | None = None, settings: Settings | None = None) -> list[str]:
    """Remove stale model versions (keeps the newest N, the champion and the rollback target) and
    expired memories (their count is logged). Returns the removed versions."""
    settings = settings if settings is not None else get_settings()
    registry = ModelRegistry(settings.models_dir)
    removed = purge_versions_task(registry, keep if keep is not None else settings.keep_versions)
    purge_memories_task(settings)
    return removed
