"""`memfeed eval`'s engine: every protocol, every baseline and memfeed itself on the same users, per-user metrics.

For each protocol (training/protocols.py) the training side is fitted once per model; every model ranks every
catalog item the user has not seen in training, and each evaluated user gets NDCG@k, HR@k and recall@k. The
baselines (training/baselines.py) score users in batches; users without a positive training event get
most-popular. memfeed is scored through `training.offline.hybrid_ranker`, the feed's own ranking (ALS with the
configured parameters, fitted by `retrain.fit`, plus the content profile and priors), so what is measured is
what is served. EASE's lambda is chosen once, on validation carved from the per-user temporal training side
(each user's last 20% of their training events): never on a held-out event of any protocol.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from memfeed.events.records import Interaction
from memfeed.feed.ranking import serving_weights
from memfeed.platform.settings import Settings
from memfeed.training.baselines import (
    EASE,
    ContentProfile,
    ImplicitALS,
    ItemKNN,
    MostPopular,
    ScoreModel,
    TrainMatrix,
    train_matrix,
)
from memfeed.training.evaluation import Ranker, ranking_metrics, top_k_indices
from memfeed.training.offline import Catalog, ProfileSettings, hybrid_ranker, recent_popularity_vector
from memfeed.training.protocols import (
    NEW_ITEMS,
    PROTOCOLS,
    TEMPORAL,
    Holdout,
    build,
    histories,
    validation_of,
)
from memfeed.training.retrain import TrainingData, fit, freshness_days, train_params

log = logging.getLogger("memfeed.training.benchmark")

MODELS = ("memfeed", "most_popular", "item_knn", "als", "ease", "content_only")
EASE_LAMBDAS = (50.0, 100.0, 200.0, 500.0, 1000.0, 2000.0)
BATCH = 256

Recommend = Callable[[Sequence[str]], np.ndarray]
"""Evaluated users -> (users, k) item indices into the catalog, best first, -1 for an empty slot."""


@dataclass(frozen=True)
class EvalOptions:
    protocols: tuple[str, ...] = PROTOCOLS
    models: tuple[str, ...] = MODELS
    k: int = 10
    max_users: int | None = None
    """Evaluate at most this many users per protocol (a fixed-seed sample); training keeps everyone."""
    seed: int = 0
    """Seeds the user sample, the new items, ALS and the bootstrap."""
    resamples: int = 1000
    holdout_fraction: float = 0.2
    new_item_share: float = 0.15
    ease_lambdas: tuple[float, ...] = EASE_LAMBDAS


@dataclass
class ProtocolRun:
    """One protocol's evaluated users and every model's per-user metrics (arrays in `users` order)."""

    name: str
    users: list[str]
    sampled_from: int | None
    train_users: int
    train_events: int
    held_out_events: int
    items: int
    new_items: int
    segments: dict[str, np.ndarray] = field(default_factory=dict)
    """Named boolean masks over `users` (new-items protocol: whose held-out item is new, or warm)."""
    per_user: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class Benchmark:
    options: EvalOptions
    protocols: list[ProtocolRun]
    ease_lambda: float | None
    ease_validation: dict[float, float]
    validation_users: int


def score_recommender(model: ScoreModel, matrix: TrainMatrix, fallback: MostPopular, k: int) -> Recommend:
    """Top-k from a batch scorer; users without a positive training event get most-popular."""

    def recommend(users: Sequence[str]) -> np.ndarray:
        rows = np.array([matrix.user_index[u] for u in users], dtype=np.int64)
        out = np.full((len(rows), k), -1, dtype=np.int64)
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            scores = np.asarray(model.scores(batch), dtype=np.float32)
            cold = ~matrix.active[batch]
            if cold.any():
                scores[cold] = fallback.popularity
            top = top_k_indices(scores, matrix.seen[batch], k)
            out[start : start + len(batch), : top.shape[1]] = top
        return out

    return recommend


def popular_ranker(popularity: MostPopular, items: list[str]) -> Ranker:
    """memfeed's fallback for users it cannot score: most-popular, as for the baselines."""
    order = np.argsort(-popularity.popularity, kind="stable")

    def rank(_user: str, _history: list[Interaction], exclude: set[str], k: int) -> list[str]:
        out: list[str] = []
        for index in order:
            if items[index] not in exclude:
                out.append(items[index])
                if len(out) == k:
                    break
        return out

    return rank


def memfeed_recommender(
    holdout: Holdout, catalog: Catalog, settings: Settings, fallback: Ranker, k: int
) -> Recommend:
    """The served ranking (training.offline.hybrid_ranker) fitted on the holdout's training side, as of its
    latest training event."""
    now = max(e.ts for events in holdout.train.values() for e in events)
    params = train_params(settings)
    train_events = [(u, e) for u, events in holdout.train.items() for e in events]
    factors = fit(train_events, catalog, params)
    popularity = recent_popularity_vector(catalog, holdout.train, now, settings.feed_popularity_window_days)
    profile = ProfileSettings(
        settings.feed_half_life_days,
        settings.feed_negative_weight,
        settings.feed_anchor_count,
        freshness_days(holdout.train.items(), catalog, settings),
        settings.feed_new_item_slots,
        settings.feed_history_events,
    )
    ranker = hybrid_ranker(
        catalog, factors, popularity, serving_weights(settings, params.cf_weight), profile, now, fallback
    )
    position = catalog.position

    def recommend(users: Sequence[str]) -> np.ndarray:
        out = np.full((len(users), k), -1, dtype=np.int64)
        for n, user in enumerate(users):
            history = holdout.train[user]
            ranked = ranker(user, history, {e.item_id for e in history}, k)[:k]
            out[n, : len(ranked)] = [position[i] for i in ranked]
        return out

    return recommend


def evaluate(
    recommend: Recommend, holdout: Holdout, item_index: dict[str, int], k: int
) -> dict[str, np.ndarray]:
    users = holdout.users
    relevant = [{item_index[i] for i in holdout.relevant[u] if i in item_index} for u in users]
    return ranking_metrics(recommend(users), relevant, k)


def tune_ease(validation: Holdout, lambdas: Sequence[float], k: int) -> tuple[float, dict[float, float]]:
    """The lambda with the best mean NDCG@k on `validation` (the smaller one on a tie), and every score."""
    matrix = train_matrix(validation.train, validation.items)
    popular = MostPopular(matrix)
    scores: dict[float, float] = {}
    for lam in lambdas:
        started = time.perf_counter()
        recommend = score_recommender(EASE(matrix, lam), matrix, popular, k)
        scores[lam] = float(evaluate(recommend, validation, matrix.item_index, k)[f"ndcg@{k}"].mean())
        log.info(
            "EASE lambda %g: validation NDCG@%d %.4f (%.1f s)",
            lam,
            k,
            scores[lam],
            time.perf_counter() - started,
        )
    best = max(sorted(scores), key=lambda lam: scores[lam])
    return best, scores


def run_protocol(
    holdout: Holdout,
    data: TrainingData,
    settings: Settings,
    options: EvalOptions,
    ease_lambda: float | None,
) -> ProtocolRun:
    k = options.k
    catalog = data.catalog
    matrix = train_matrix(holdout.train, catalog.item_ids)
    popular = MostPopular(matrix)
    run = ProtocolRun(
        holdout.name,
        holdout.users,
        holdout.sampled_from,
        len(holdout.train),
        holdout.train_events,
        holdout.held_out_events,
        len(catalog.item_ids),
        len(holdout.new_items),
    )
    if holdout.new_items:
        new = np.array([bool(holdout.relevant[u] & holdout.new_items) for u in holdout.users], dtype=bool)
        run.segments = {"new": new, "warm": ~new}
    if not run.users:
        return run
    factories: dict[str, Callable[[], Recommend]] = {
        "memfeed": lambda: memfeed_recommender(
            holdout, catalog, settings, popular_ranker(popular, catalog.item_ids), k
        ),
        "most_popular": lambda: score_recommender(popular, matrix, popular, k),
        "item_knn": lambda: score_recommender(ItemKNN(matrix), matrix, popular, k),
        "als": lambda: score_recommender(ImplicitALS(matrix, options.seed), matrix, popular, k),
        "content_only": lambda: score_recommender(
            ContentProfile(matrix, catalog.content), matrix, popular, k
        ),
    }
    if ease_lambda is not None:
        factories["ease"] = lambda: score_recommender(EASE(matrix, ease_lambda), matrix, popular, k)
    for name in options.models:
        if name not in factories:
            continue
        started = time.perf_counter()
        run.per_user[name] = evaluate(factories[name](), holdout, matrix.item_index, k)
        run.seconds[name] = round(time.perf_counter() - started, 2)
        log.info(
            "%s / %s: NDCG@%d %.4f (%.1f s)",
            holdout.name,
            name,
            k,
            run.per_user[name][f"ndcg@{k}"].mean(),
            run.seconds[name],
        )
    return run


def run_benchmark(data: TrainingData, settings: Settings, options: EvalOptions | None = None) -> Benchmark:
    """Every requested protocol with every requested model, on the same users within a protocol."""
    options = options or EvalOptions()
    for name in options.protocols:
        if name not in PROTOCOLS:
            raise ValueError(f"unknown protocol {name!r}: one of {', '.join(PROTOCOLS)}")
    if not data.events:
        raise ValueError("no events to evaluate on")
    by_user = histories(data.events)
    items = data.catalog.item_ids
    lam: float | None = None
    scores: dict[float, float] = {}
    validation_users = 0
    if "ease" in options.models and options.ease_lambdas:
        temporal = build(TEMPORAL, by_user, items, fraction=options.holdout_fraction)
        validation = validation_of(temporal, options.holdout_fraction).sample(options.max_users, options.seed)
        validation_users = len(validation.users)
        if validation.users:
            lam, scores = tune_ease(validation, options.ease_lambdas, options.k)
        else:
            lam = options.ease_lambdas[0]
    runs = []
    for name in options.protocols:
        holdout = build(
            name,
            by_user,
            items,
            fraction=options.holdout_fraction,
            new_share=options.new_item_share,
            seed=options.seed,
        ).sample(options.max_users, options.seed)
        runs.append(run_protocol(holdout, data, settings, options, lam))
    return Benchmark(options, runs, lam, scores, validation_users)


__all__ = [
    "MODELS",
    "NEW_ITEMS",
    "Benchmark",
    "EvalOptions",
    "ProtocolRun",
    "memfeed_recommender",
    "run_benchmark",
    "score_recommender",
    "tune_ease",
]
