"""Retraining as core steps: load, evaluate a challenger against the champion and baselines, decide, publish.

The gate compares configurations on equal data: the challenger's parameters and the champion's parameters
(from its manifest) are both fitted on the training side of one temporal split and rank the same held-out
users. (Scoring the champion's own artifacts instead would grade it on events it was trained on: it was fit
on everything up to its watermark, hold-out included, and would win every time.) `auto` promotes when the
challenger's NDCG@10 >= the champion's x (1 + `promotion_margin`); with identical parameters the two tie
exactly, and the fresher model wins the tie.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from memfeed.catalog.repository import ItemRepository
from memfeed.events.records import Interaction
from memfeed.events.repository import EventRepository
from memfeed.events.weights import event_weight
from memfeed.feed.popularity import engagement_age_days
from memfeed.feed.ranking import RankWeights, freshness_half_life, serving_weights
from memfeed.model.bundle import save_bundle
from memfeed.model.factors import Factors, TrainParams, build_matrix, fit_content_map, fit_factors
from memfeed.platform.settings import Settings
from memfeed.platform.storage.db import Database
from memfeed.registry.manifest import Manifest
from memfeed.registry.versions import ModelRegistry
from memfeed.training.baselines import als_defaults_ranker, item_knn_ranker
from memfeed.training.evaluation import Ranker, Split, evaluate_rankers, popularity_ranker, temporal_split
from memfeed.training.offline import Catalog, ProfileSettings, hybrid_ranker, recent_popularity_vector

log = logging.getLogger("memfeed.training.retrain")

K = 10
PRIMARY_METRIC = f"ndcg@{K}"


class PromoteMode(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


@dataclass
class TrainingData:
    events: list[tuple[str, Interaction]]
    catalog: Catalog
    last_event_at: datetime | None
    users: int

    @property
    def watermark(self) -> dict[str, Any]:
        return {
            "last_event_at": self.last_event_at.isoformat() if self.last_event_at else None,
            "events": len(self.events),
            "users": self.users,
            "items": len(self.catalog.item_ids),
        }


@dataclass
class Evaluation:
    metrics: dict[str, dict[str, float]]
    protocol: dict[str, Any]


@dataclass
class PromotionDecision:
    promote: bool
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def train_params(settings: Settings) -> TrainParams:
    return TrainParams(
        factors=settings.als_factors,
        regularization=settings.als_regularization,
        iterations=settings.als_iterations,
        alpha=settings.als_alpha,
        half_life_days=settings.train_half_life_days,
        cf_weight=settings.cf_weight,
    )


def load_training_data(database: Database, embedder_id: str, dim: int) -> TrainingData:
    """All events (streamed from the database) and the current content vector of every item."""
    event_rows = EventRepository(database)
    events = list(event_rows.all_interactions())
    vectors, published = ItemRepository(database).all_vectors(embedder_id)
    last = event_rows.latest_time()
    users = len({u for u, _ in events})
    return TrainingData(events, Catalog.from_vectors(vectors, dim, published), last, users)


def fit(events: list[tuple[str, Interaction]], catalog: Catalog, params: TrainParams) -> Factors:
    """ALS on the events' confidences, plus the content -> factors map for items without events."""
    rows = ((u, it.item_id, it.type, it.value, it.ts) for u, it in events)
    matrix = build_matrix(rows, half_life_days=params.half_life_days)
    factors = fit_factors(matrix, params)
    factors.content_map = fit_content_map(factors, dict(zip(catalog.item_ids, catalog.content, strict=True)))
    return factors


CONTENT_ONLY = RankWeights(cf_weight=0.0, popularity_weight=0.0, freshness_weight=0.0)


def profile_settings(split: Split, catalog: Catalog, settings: Settings) -> ProfileSettings:
    """The serving profile settings for an offline evaluation on `split` (freshness learned from its train side)."""
    return ProfileSettings(
        settings.feed_half_life_days,
        settings.feed_negative_weight,
        settings.feed_anchor_count,
        freshness_days(split.train.items(), catalog, settings),
        settings.feed_new_item_slots,
        settings.feed_history_events,
    )


def evaluate(
    data: TrainingData,
    params: TrainParams,
    settings: Settings,
    champion: tuple[str, TrainParams] | None = None,
    *,
    k: int = K,
    baselines: bool = False,
) -> Evaluation:
    """Challenger, champion (its version and parameters), content-only and most-popular on one hold-out;
    `baselines` adds item-kNN and ALS with library defaults (what `memfeed eval` reports)."""
    split: Split = temporal_split(data.events, data.catalog.item_ids, settings.holdout_fraction)
    holdout_users = split.sample_users(settings.eval_max_users)
    train_events = [(u, it) for u, its in split.train.items() for it in its]
    challenger = fit(train_events, data.catalog, params)
    popularity = recent_popularity_vector(
        data.catalog, split.train, split.cut, settings.feed_popularity_window_days
    )
    profile = profile_settings(split, data.catalog, settings)
    popular = popularity_ranker(split)
    rankers: dict[str, Ranker] = {
        "memfeed": hybrid_ranker(
            data.catalog,
            challenger,
            popularity,
            serving_weights(settings, params.cf_weight),
            profile,
            split.cut,
            popular,
        ),
        # The textbook baseline: the MiniLM profile alone, without memfeed's popularity and freshness priors.
        "content_only": hybrid_ranker(
            data.catalog, None, popularity, CONTENT_ONLY, profile, split.cut, popular
        ),
        "most_popular": popular,
    }
    if baselines:
        rankers["item_knn"] = item_knn_ranker(split, popular)
        rankers["als_defaults"] = als_defaults_ranker(split, popular)
    if champion is not None:
        champion_config = champion[1]
        if champion_config == params:
            champion_factors = challenger  # same parameters, same data, fixed seed: the same model
        else:
            champion_factors = fit(train_events, data.catalog, champion_config)
        rankers["champion"] = hybrid_ranker(
            data.catalog,
            champion_factors,
            popularity,
            serving_weights(settings, champion_config.cf_weight),
            profile,
            split.cut,
            popular,
        )
    metrics = evaluate_rankers(split, rankers, k, content=data.catalog.lookup)
    protocol = {
        "split": "global time cut",
        "cut": split.cut.isoformat(),
        "holdout_fraction": settings.holdout_fraction,
        "train_events": split.train_events,
        "test_events": split.test_events,
        "evaluated_users": len(split.users),
        "holdout_users": holdout_users,
        "relevant": "positive test events (like, save, share, purchase, click, dwell >= 23 s, rating >= 4) "
        "on items unseen in training",
        "candidates": "every item not seen by the user in training",
        "k": k,
        "cold_items": len(split.cold_items),
        "champion": champion[0] if champion else None,
        "champion_refit": "champion parameters fitted on the same training split",
    }
    return Evaluation(metrics, protocol)


def decide(evaluation: Evaluation, mode: PromoteMode, margin: float) -> PromotionDecision:
    challenger = evaluation.metrics["memfeed"][PRIMARY_METRIC]
    champion = evaluation.metrics.get("champion", {}).get(PRIMARY_METRIC)
    details = {"metric": PRIMARY_METRIC, "challenger": challenger, "champion": champion, "margin": margin}
    if mode == PromoteMode.always:
        return PromotionDecision(True, "promote=always", details)
    if mode == PromoteMode.never:
        return PromotionDecision(False, "promote=never", details)
    if champion is None:
        return PromotionDecision(True, "no champion yet", details)
    if challenger >= champion * (1 + margin):
        return PromotionDecision(
            True, f"{PRIMARY_METRIC} {challenger:.4f} >= champion {champion:.4f} x (1 + {margin:g})", details
        )
    return PromotionDecision(
        False, f"{PRIMARY_METRIC} {challenger:.4f} < champion {champion:.4f} x (1 + {margin:g})", details
    )


def publish(
    registry: ModelRegistry,
    data: TrainingData,
    params: TrainParams,
    evaluation: Evaluation,
    decision: PromotionDecision,
    *,
    embedder_id: str,
    settings: Settings,
) -> Manifest:
    """Fit on all events, write the version (recorded whatever the decision), promote if decided."""
    factors = fit(data.events, data.catalog, params)
    content = dict(zip(data.catalog.item_ids, data.catalog.content, strict=True))
    with registry.begin() as writer:
        save_bundle(
            writer.path,
            factors,
            content,
            data.catalog.content.shape[1],
            data.last_event_at,
            hnsw_threshold=settings.hnsw_threshold,
            freshness_days=freshness_days(_by_user(data.events), data.catalog, settings),
        )
        manifest = writer.commit(
            parameters=params.to_dict(),
            metrics={"protocol": evaluation.protocol, **evaluation.metrics},
            data=data.watermark,
            embedder=embedder_id,
            decision={"promoted": decision.promote, "reason": decision.reason, **decision.details},
        )
    if decision.promote:
        registry.promote(manifest.version)
    log.info("published %s (%s)", manifest.version, decision.reason)
    return manifest


def freshness_days(
    histories: Iterable[tuple[str, list[Interaction]]], catalog: Catalog, settings: Settings
) -> float:
    """The freshness half-life the feed will use: learned from these events' engagement ages."""
    if settings.feed_freshness_days is not None:
        return settings.feed_freshness_days  # configured: skip learning (a pass over every event)
    published = dict(zip(catalog.item_ids, catalog.published or [], strict=False))
    positives = (
        (it.item_id, it.ts) for _, events in histories for it in events if event_weight(it.type, it.value) > 0
    )
    learned = engagement_age_days(positives, published, settings.feed_freshness_quantile)
    return freshness_half_life(settings, learned)


def _by_user(events: list[tuple[str, Interaction]]) -> list[tuple[str, list[Interaction]]]:
    grouped: dict[str, list[Interaction]] = {}
    for user, it in events:
        grouped.setdefault(user, []).append(it)
    return list(grouped.items())


def champion_params(manifest: Manifest | None) -> tuple[str, TrainParams] | None:
    """The champion's version and training parameters, from its manifest (unknown keys ignored)."""
    if manifest is None:
        return None
    known = {f for f in TrainParams.__dataclass_fields__}
    return manifest.version, TrainParams(**{k: v for k, v in manifest.parameters.items() if k in known})
