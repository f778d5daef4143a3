"""The feed's ranking applied to a whole catalog held in memory: for evaluation and batch work.

Uses the same `build_profile`, `user_signals` and `score_candidates` as the live feed, so an offline metric
measures what is served (only the candidate step differs: offline, every item is a candidate).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from memfeed.events.records import Interaction
from memfeed.events.weights import event_weight
from memfeed.feed.popularity import freshness
from memfeed.feed.profile import build_profile, item_weights, user_signals
from memfeed.feed.ranking import RankWeights, score_candidates
from memfeed.model.factors import Factors
from memfeed.training.evaluation import Ranker, dense_ranker


@dataclass
class Catalog:
    """Item ids with their content vectors (row i of `content` is `item_ids[i]`) and publication times."""

    item_ids: list[str]
    content: np.ndarray
    published: list[datetime | None] | None = None

    def __post_init__(self) -> None:
        self.position = {item: i for i, item in enumerate(self.item_ids)}

    @classmethod
    def from_vectors(
        cls, vectors: dict[str, np.ndarray], dim: int, published: dict[str, datetime | None] | None = None
    ) -> Catalog:
        ids = sorted(vectors)
        matrix = np.vstack([vectors[i] for i in ids]) if ids else np.zeros((0, dim), dtype=np.float32)
        times = [published.get(i) for i in ids] if published is not None else None
        return cls(ids, np.ascontiguousarray(matrix, dtype=np.float32), times)

    def freshness(self, now: datetime, half_life_days: float) -> np.ndarray:
        """The serving freshness prior as of `now` (items published later count as brand new)."""
        if self.published is None:
            return np.zeros(len(self.item_ids), dtype=np.float32)
        return np.array(
            [freshness(p, now, half_life_days) if p is None or p <= now else 1.0 for p in self.published],
            dtype=np.float32,
        )

    def lookup(self, item_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        found = [i for i in item_ids if i in self.position]
        return found, self.content[[self.position[i] for i in found]]


@dataclass(frozen=True)
class ProfileSettings:
    half_life_days: float = 14.0
    negative_weight: float = 0.5
    anchor_count: int = 8
    freshness_days: float = 7.0
    new_item_slots: int = 0
    history_events: int | None = None
    """The feed's MEMFEED_FEED_HISTORY_EVENTS: the profile reads only the latest this many events (None: all)."""


def latest_history(history: Sequence[Interaction], limit: int | None) -> list[Interaction]:
    """The user's latest `limit` events, newest first: what the feed's profile reads
    (`EventRepository.latest_interactions`)."""
    newest_first = sorted(history, key=lambda it: it.ts, reverse=True)
    return newest_first if limit is None else newest_first[:limit]


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
) -> Callable[[str, list[Interaction]], np.ndarray | None]:
    """A function (user, history) -> scores over the catalog, or None for a cold user.

    As the feed: the profile and the fold-in read the latest `history_events` events, decayed relative to
    the newest of them; `now` only dates the freshness prior."""
    dim = catalog.content.shape[1]
    factor_matrix = factors.rows_for(catalog.item_ids, catalog.content) if factors is not None else None
    known = np.any(factor_matrix != 0, axis=1) if factor_matrix is not None else None
    fresh = catalog.freshness(now, profile_settings.freshness_days)

    def score(_user: str, history: list[Interaction]) -> np.ndarray | None:
        recent = latest_history(history, profile_settings.history_events)
        profile = build_profile(
            recent,
            catalog.lookup,
            half_life_days=profile_settings.half_life_days,
            negative_weight=profile_settings.negative_weight,
        )
        user_factors = None
        if factors is not None:
            cf_weights, _ = item_weights(recent, factors.params.half_life_days)
            user_factors = factors.fold_in(cf_weights)
        if profile.vector is None and user_factors is None:
            return None
        signals, _ = user_signals(
            profile, catalog.lookup, anchor_count=profile_settings.anchor_count, dim=dim, factors=user_factors
        )
        return score_candidates(
            signals, catalog.content, factor_matrix, popularity, fresh, weights, known
        ).score

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
    explore = factors.new_mask(catalog.item_ids) if factors is not None else None
    return dense_ranker(
        catalog.item_ids, scorer, fallback, explore=explore, slots=profile_settings.new_item_slots
    )
