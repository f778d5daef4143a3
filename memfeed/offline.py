"""The feed's ranking applied to a whole catalog held in memory: for evaluation and batch work.

Uses the same `build_profile`, `user_signals` and `score_candidates` as the live feed, so an offline metric
measures what is served (only the candidate step differs: offline, every item is a candidate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from memfeed.evaluation import Ranker, dense_ranker
from memfeed.profile import Interaction, build_profile, event_weight, item_weights, user_signals
from memfeed.ranking import RankWeights, score_candidates
from memfeed.training import Factors


@dataclass
class Catalog:
    """Item ids with their content vectors (row i of `content` is `item_ids[i]`)."""

    item_ids: list[str]
    content: np.ndarray

    def __post_init__(self) -> None:
        self.position = {item: i for i, item in enumerate(self.item_ids)}

    @classmethod
    def from_vectors(cls, vectors: dict[str, np.ndarray], dim: int) -> Catalog:
        ids = sorted(vectors)
        matrix = np.vstack([vectors[i] for i in ids]) if ids else np.zeros((0, dim), dtype=np.float32)
        return cls(ids, np.ascontiguousarray(matrix, dtype=np.float32))

    def lookup(self, item_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        found = [i for i in item_ids if i in self.position]
        return found, self.content[[self.position[i] for i in found]]


@dataclass(frozen=True)
class ProfileSettings:
    half_life_days: float = 14.0
    negative_weight: float = 0.5
    anchor_count: int = 8


def recent_popularity_vector(
    catalog: Catalog, history: dict[str, list[Interaction]], now: datetime, window_days: float
) -> np.ndarray:
    """Distinct users with a positive event per item in the window before `now`, log-scaled to 0..1."""
    since = now - timedelta(days=window_days)
    counts = np.zeros(len(catalog.item_ids), dtype=np.float32)
    for events in history.values():
        liked = {it.item_id for it in events if it.ts >= since and event_weight(it.type, it.value) > 0}
        for item in liked:
            pos = catalog.position.get(item)
            if pos is not None:
                counts[pos] += 1
    top = counts.max() if len(counts) else 0.0
    return (np.log1p(counts) / math.log1p(top)).astype(np.float32) if top > 0 else counts


def hybrid_scorer(
    catalog: Catalog,
    factors: Factors | None,
    popularity: np.ndarray,
    weights: RankWeights,
    profile_settings: ProfileSettings,
    now: datetime,
):  # type: ignore[no-untyped-def]
    """A function (user, history) -> scores over the catalog, or None for a cold user."""
    dim = catalog.content.shape[1]
    factor_matrix = None
    if factors is not None:
        scaled = factors.scaled_items()
        factor_matrix = np.zeros((len(catalog.item_ids), scaled.shape[1]), dtype=np.float32)
        for row, item in enumerate(catalog.item_ids):
            pos = factors.item_index.get(item)
            if pos is not None:
                factor_matrix[row] = scaled[pos]
    freshness = np.zeros(len(catalog.item_ids), dtype=np.float32)

    def score(_user: str, history: list[Interaction]) -> np.ndarray | None:
        profile = build_profile(
            history,
            catalog.lookup,
            now=now,
            half_life_days=profile_settings.half_life_days,
            negative_weight=profile_settings.negative_weight,
        )
        user_factors = None
        if factors is not None:
            cf_weights, _ = item_weights(history, now, factors.params.half_life_days)
            user_factors = factors.fold_in(cf_weights)
        if profile.vector is None and user_factors is None:
            return None
        signals, _ = user_signals(
            profile, catalog.lookup, anchor_count=profile_settings.anchor_count, dim=dim, factors=user_factors
        )
        return score_candidates(signals, catalog.content, factor_matrix, popularity, freshness, weights).score

    return score


def hybrid_ranker(
    catalog: Catalog,
    factors: Factors | None,
    popularity: np.ndarray,
    weights: RankWeights,
    profile_settings: ProfileSettings,
    now: datetime,
    fallback: Ranker,
) -> Ranker:
    scorer = hybrid_scorer(catalog, factors, popularity, weights, profile_settings, now)
    return dense_ranker(catalog.item_ids, scorer, fallback)
