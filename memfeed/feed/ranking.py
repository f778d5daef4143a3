"""The one scoring function behind the feed, offline evaluation and batch recommendations.

Pure numpy over a candidate set, so what is evaluated offline is exactly what is served:

    relevance = cf_weight x collaborative + (1 - cf_weight) x content - negative_weight x push-away
    score     = relevance + popularity_weight x popularity + freshness_weight x freshness

where content = profile_blend x sim(taste vector) + (1 - profile_blend) x best anchor sim weighted by
sqrt(relative strength),
and collaborative = user factors . item factors (scaled to about [-1, 1]). Items the model never saw arrive
with factors estimated from their content (training.fit_content_map); only when no estimate exists (a zero
row) is an item ranked on content alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from memfeed.platform.settings import Settings


@dataclass(frozen=True)
class RankWeights:
    profile_blend: float = 0.6
    cf_weight: float = 0.6
    negative_weight: float = 0.5
    popularity_weight: float = 0.4
    freshness_weight: float = 0.3


def serving_weights(settings: Settings, cf_weight: float) -> RankWeights:
    """The weights the feed serves with: the model's collaborative share, the configured priors. Retrain
    evaluates with these too, so what is measured is what is served."""
    return RankWeights(
        cf_weight=cf_weight,
        negative_weight=settings.feed_negative_weight,
        popularity_weight=settings.feed_popularity_weight,
        freshness_weight=settings.feed_freshness_weight,
    )


def freshness_half_life(settings: Settings, learned_days: float | None) -> float:
    """Days for freshness to halve: configured, else learned from engagement ages (by the model), else the
    default."""
    if settings.feed_freshness_days is not None:
        return settings.feed_freshness_days
    return float(learned_days) if learned_days else settings.default_freshness_days


@dataclass
class UserSignals:
    """What ranking needs of a user: content taste, anchors, negatives, and collaborative factors."""

    taste: np.ndarray | None
    anchors: np.ndarray
    anchor_strength: np.ndarray
    negatives: np.ndarray
    factors: np.ndarray | None = None
    stated_anchors: int = 0
    """How many of the last `anchors` rows are stated preferences (sentences, not items: see `calibrate`)."""

    @property
    def is_cold(self) -> bool:
        return self.taste is None and self.factors is None


@dataclass
class Scored:
    score: np.ndarray
    best_anchor: np.ndarray
    anchor_similarity: np.ndarray


def score_candidates(
    user: UserSignals,
    content: np.ndarray,
    factors: np.ndarray | None,
    popularity: np.ndarray,
    freshness: np.ndarray,
    weights: RankWeights,
    known: np.ndarray | None = None,
) -> Scored:
    """Scores `m` candidates. `content` (m, d) normalized; `factors` (m, f) scaled item factors or None.

    `known` (m,) marks rows with collaborative evidence; computed from `factors` when not given (callers that
    score many users over the same rows pass it once). The taste, anchor and negative similarities come from
    one matrix product, so `content` is read once per call (it is the cost at catalog scale).
    """
    m = content.shape[0]
    n_taste = 1 if user.taste is not None else 0
    n_anchor, n_negative = len(user.anchors), len(user.negatives)
    parts = ([user.taste[None, :]] if user.taste is not None else []) + [user.anchors, user.negatives]
    queries = np.vstack([p for p in parts if len(p)]) if n_taste + n_anchor + n_negative else None
    sims = content @ queries.T if queries is not None else np.zeros((m, 0), dtype=np.float32)
    content_rel = sims[:, 0] if n_taste else np.zeros(m, dtype=np.float32)
    best_anchor = np.zeros(m, dtype=np.int64)
    anchor_sim = np.zeros(m, dtype=np.float32)
    if n_anchor:
        anchor_sims = calibrate(sims[:, n_taste : n_taste + n_anchor], user.stated_anchors)
        weighted = anchor_sims * relative_strength(user.anchor_strength)
        best_anchor = weighted.argmax(axis=1)
        anchor_sim = anchor_sims[np.arange(m), best_anchor]
        content_rel = weights.profile_blend * content_rel + (1 - weights.profile_blend) * weighted.max(axis=1)
    relevance = content_rel
    if user.factors is not None and factors is not None:
        # A zero row (no factors and no content estimate) is ranked on content alone, not on content with a
        # missing collaborative term, which would bury it.
        known_rows = known if known is not None else np.any(factors != 0, axis=1)
        blended = weights.cf_weight * (factors @ user.factors) + (1 - weights.cf_weight) * content_rel
        relevance = np.where(known_rows, blended, content_rel)
    if n_negative:
        push = np.clip(sims[:, n_taste + n_anchor :].max(axis=1), 0.0, None)
        relevance = relevance - weights.negative_weight * push
    score = relevance + weights.popularity_weight * popularity + weights.freshness_weight * freshness
    return Scored(score.astype(np.float32), best_anchor, anchor_sim.astype(np.float32))


def relative_strength(strength: np.ndarray) -> np.ndarray:
    """sqrt(strength / strongest) per anchor (float32); equal weights when no strength is positive and
    finite, so an all-zero history can never turn the page into 0/0 (NaN scores rank nothing)."""
    strength = np.nan_to_num(np.asarray(strength, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    top = float(strength.max()) if strength.size else 0.0
    if top <= 0.0:
        return np.ones(strength.shape, dtype=np.float32)
    return np.sqrt(np.clip(strength / top, 0.0, 1.0)).astype(np.float32)


MAX_STATED_SCALE = 2.0


def calibrate(anchor_sims: np.ndarray, stated: int) -> np.ndarray:
    """Put stated-preference columns on the item anchors' scale.

    A sentence ("I love space news") matches items less closely than an item matches its neighbours (MiniLM
    cosine about 0.5 against 0.8), so raw, one like's neighbours would always outrank what the user said.
    Each stated column is scaled so its best candidate scores like the best item-anchor match (or 1 without
    item anchors), by at most `MAX_STATED_SCALE`, so a preference nothing in the catalog matches stays weak.
    """
    if stated <= 0 or not anchor_sims.size:
        return anchor_sims
    items = anchor_sims[:, :-stated]
    reference = float(items.max()) if items.size else 1.0
    best = np.maximum(anchor_sims[:, -stated:].max(axis=0), 1e-6)
    scale = np.minimum(reference / best, MAX_STATED_SCALE)
    out = anchor_sims.copy()
    out[:, -stated:] *= scale
    return out


def top_k(
    scores: np.ndarray, ids: list[str], k: int, *, explore: np.ndarray | None = None, slots: int = 0
) -> list[int]:
    """Indices of the k best scores, ties broken by id so results are deterministic.

    With `explore` (a mask of items without collaborative evidence, i.e. new to the model) and `slots` > 0,
    the page's last positions hold the best such items when fewer than `slots` made the page on their own:
    new items get exposure, which is the only way they ever gain evidence.
    """
    if k <= 0 or not len(scores):
        return []
    ranked = _best(scores, ids, k, np.arange(len(scores)))
    if explore is None or slots <= 0:
        return ranked
    have = sum(bool(explore[i]) for i in ranked)
    want = min(slots, k) - have
    if want <= 0:
        return ranked
    chosen = set(ranked)
    candidates = np.array([i for i in np.nonzero(explore)[0] if i not in chosen], dtype=np.int64)
    extra = _best(scores, ids, want, candidates) if len(candidates) else []
    if not extra:
        return ranked
    kept = [i for i in ranked if explore[i]] + [i for i in ranked if not explore[i]][: k - have - len(extra)]
    kept.sort(key=lambda i: (-float(scores[i]), ids[i]))
    return kept + extra


def _best(scores: np.ndarray, ids: list[str], k: int, among: np.ndarray) -> list[int]:
    if not len(among):
        return []
    sub = scores[among]
    if len(sub) > k:
        threshold = -np.partition(-sub, k - 1)[k - 1]
        among = among[sub >= threshold]
    return sorted(among.tolist(), key=lambda i: (-float(scores[i]), ids[i]))[:k]
