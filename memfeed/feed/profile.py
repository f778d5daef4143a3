"""A user's taste from their activity: per-item weights (type, value, time decay) and a profile vector.

Decay is relative to the user's latest event (memfeed/events/weights.py), so the profile of a user whose
events are years old is the profile they had the day of their last event.

Pure functions over numpy; the caller supplies interactions and the item vectors it has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from memfeed.events.records import Interaction
from memfeed.events.weights import PAST_TENSE, decay, event_weight, relative_ages
from memfeed.feed.ranking import UserSignals


@dataclass(frozen=True)
class StatedPreference:
    """A taste the user put in words (a `preference` memory: "I love space news", "no horror films"),
    embedded like item text. `negative` ones push the feed away instead of towards."""

    text: str
    vector: np.ndarray
    negative: bool


@dataclass
class Profile:
    """`anchors`: positively weighted items (strongest and most recent alternately) with their explaining verb;
    `stated`: the preferences the user stated, already folded into `vector`."""

    seen: set[str] = field(default_factory=set)
    anchors: list[tuple[str, float, str]] = field(default_factory=list)
    negatives: list[tuple[str, float]] = field(default_factory=list)
    vector: np.ndarray | None = None
    stated: list[StatedPreference] = field(default_factory=list)
    stated_weight: float = 0.0

    @property
    def is_cold(self) -> bool:
        return self.vector is None


def item_weights(
    interactions: Sequence[Interaction], half_life_days: float
) -> tuple[dict[str, float], dict[str, str]]:
    """Sum of decayed event weights per item, and the strongest positive verb per item (for reasons).

    Ages count from the latest of `interactions` (relative decay): the newest event keeps its full weight
    however long ago it happened."""
    weights: dict[str, float] = {}
    verbs: dict[str, tuple[float, str]] = {}
    ages = relative_ages([it.ts for it in interactions])
    for it, age in zip(interactions, ages, strict=True):
        w = event_weight(it.type, it.value) * decay(age, half_life_days)
        weights[it.item_id] = weights.get(it.item_id, 0.0) + w
        if w > 0 and w > verbs.get(it.item_id, (0.0, ""))[0]:
            verbs[it.item_id] = (w, PAST_TENSE.get(it.type, "engaged with"))
    return weights, {k: v for k, (_, v) in verbs.items()}


def build_profile(
    interactions: Sequence[Interaction],
    lookup: Callable[[Sequence[str]], tuple[list[str], np.ndarray]],
    *,
    half_life_days: float,
    negative_weight: float,
    stated: Sequence[StatedPreference] = (),
    stated_weight: float = 0.0,
) -> Profile:
    """The user's profile: a normalized taste vector (positives minus `negative_weight` x negatives).

    Each stated preference weighs as much as `stated_weight` full-strength likes (or dislikes, when negated),
    so it steers a new user's feed entirely and an active user's in proportion to how little they did.
    """
    stated = list(stated) if stated_weight > 0 else []
    profile = Profile(seen={it.item_id for it in interactions}, stated=stated, stated_weight=stated_weight)
    weights, verbs = item_weights(interactions, half_life_days)
    positive = sorted(((i, w) for i, w in weights.items() if w > 0), key=lambda p: (-p[1], p[0]))
    negative = sorted(((i, -w) for i, w in weights.items() if w < 0), key=lambda p: (-p[1], p[0]))
    latest: dict[str, datetime] = {}
    for it in interactions:
        if it.item_id not in latest or it.ts > latest[it.item_id]:
            latest[it.item_id] = it.ts
    recent = sorted((p for p in positive), key=lambda p: (latest[p[0]], p[0]), reverse=True)
    profile.anchors = [(i, w, verbs.get(i, "engaged with")) for i, w in _interleave(positive, recent)]
    profile.negatives = negative
    pos_vec = _with_stated(_weighted_mean(positive, lookup), positive, stated, False, stated_weight)
    if pos_vec is None:
        return profile
    neg_vec = _with_stated(_weighted_mean(negative, lookup), negative, stated, True, stated_weight)
    vector = pos_vec - negative_weight * neg_vec if neg_vec is not None else pos_vec
    norm = float(np.linalg.norm(vector))
    profile.vector = (vector / norm).astype(np.float32) if norm > 1e-6 else None
    return profile


def _interleave(
    strongest: list[tuple[str, float]], recent: list[tuple[str, float]]
) -> list[tuple[str, float]]:
    """Strongest and most recent alternately, so a long history cannot crowd out what the user just did."""
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    for pair in zip(strongest, recent, strict=True):
        for item in pair:
            if item[0] not in seen:
                seen.add(item[0])
                out.append(item)
    return out


def _weighted_mean(
    weighted: Sequence[tuple[str, float]], lookup: Callable[[Sequence[str]], tuple[list[str], np.ndarray]]
) -> np.ndarray | None:
    if not weighted:
        return None
    by_id = dict(weighted)
    found, matrix = lookup([i for i, _ in weighted])
    if not found:
        return None
    w = np.array([by_id[i] for i in found], dtype=np.float64)
    w = (w / w.max()).astype(np.float32)  # relative weights: tiny absolute ones must not round to 0
    mean = (w[:, None] * matrix).sum(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 1e-6 else None


def _with_stated(
    mean: np.ndarray | None,
    weighted: Sequence[tuple[str, float]],
    stated: Sequence[StatedPreference],
    negative: bool,
    stated_weight: float,
) -> np.ndarray | None:
    """The activity mean (of total weight `sum(weighted)`) plus each stated preference of this polarity."""
    said = [p.vector for p in stated if p.negative == negative]
    if not said:
        return mean
    total = stated_weight * np.sum(said, axis=0)
    if mean is not None:
        total = total + sum(w for _, w in weighted) * mean
    norm = float(np.linalg.norm(total))
    return (total / norm).astype(np.float32) if norm > 1e-6 else None


def user_signals(
    profile: Profile,
    lookup: Callable[[Sequence[str]], tuple[list[str], np.ndarray]],
    *,
    anchor_count: int,
    dim: int,
    factors: np.ndarray | None = None,
) -> tuple[UserSignals, list[str | StatedPreference]]:
    """Ranking inputs from a profile: anchor and negative vectors (looked up once), plus CF factors if any.

    Stated preferences join as anchors (positive) or negatives (negated), each as strong as `stated_weight`
    likes. Returns the signals and what each `signals.anchors` row stands for (an item id, or the stated
    preference), for reasons.
    """
    top = profile.anchors[:anchor_count]
    strength_of = {a: w for a, w, _ in top}
    anchor_ids, anchor_vecs = lookup([a for a, _, _ in top])
    _, negative_vecs = lookup([n for n, _ in profile.negatives[:20]])
    said = [p for p in profile.stated if not p.negative]
    unsaid = [p.vector for p in profile.stated if p.negative]
    anchors: list[str | StatedPreference] = [*anchor_ids, *said]
    signals = UserSignals(
        taste=profile.vector,
        anchors=np.vstack([anchor_vecs.reshape(-1, dim), *[p.vector[None, :] for p in said]]),
        anchor_strength=np.array(  # float64: relative strengths of a long history must not round to 0
            [strength_of[a] for a in anchor_ids] + [profile.stated_weight] * len(said), dtype=np.float64
        ),
        negatives=np.vstack([negative_vecs.reshape(-1, dim), *[v[None, :] for v in unsaid]]),
        factors=factors,
        stated_anchors=len(said),
    )
    return signals, anchors
