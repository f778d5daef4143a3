"""Ranking of one user's candidates: dense and lexical scores fused, then a small recency boost.

Pure functions over numpy arrays, parameters in `FusionParams` (from settings), so the LoCoMo evaluation can
compare dense-only, lexical-only and hybrid, and tune the fusion, without touching the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from memfeed.memory.records import SearchMode
from memfeed.platform.settings import Settings

SECONDS_PER_DAY = 86400.0


@dataclass(frozen=True)
class FusionParams:
    fusion: Literal["rrf", "blend"] = "blend"
    rrf_k: int = 60
    dense_weight: float = 1.0
    lexical_weight: float = 1.0
    recency_weight: float = 0.1
    half_life_days: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> FusionParams:
        return cls(
            fusion=settings.memory_fusion,
            rrf_k=settings.memory_rrf_k,
            dense_weight=settings.memory_dense_weight,
            lexical_weight=settings.memory_lexical_weight,
            recency_weight=settings.memory_recency_weight,
            half_life_days=settings.memory_recency_half_life_days,
        )


RRF_DEPTH = 200
"""Each list contributes its best RRF_DEPTH candidates (the rest add 1/(k + inf) = 0): a partial sort."""


def ranks(scores: np.ndarray, present: np.ndarray, depth: int = RRF_DEPTH) -> np.ndarray:
    """1-based rank of each candidate by descending score among those `present`, for the best `depth`;
    inf for the others."""
    out = np.full(len(scores), np.inf)
    idx = np.flatnonzero(present)
    if len(idx) > depth:
        idx = idx[np.argpartition(-scores[idx], depth - 1)[:depth]]
    order = idx[np.lexsort((idx, -scores[idx]))]
    out[order] = np.arange(1, len(order) + 1)
    return out


def fuse(
    dense: np.ndarray, lexical: np.ndarray, mode: SearchMode, params: FusionParams
) -> tuple[np.ndarray, np.ndarray]:
    """(fused score, eligible mask) per candidate. Scores are in [0, 1]: 1 is first on every list used.

    rrf: sum of weight / (k + rank) over the lists, divided by its maximum. blend: weighted mean of the
    cosine (clipped at 0) and of BM25 divided by the query's best BM25. Lexical-only mode keeps only
    candidates sharing a term with the query; the others keep every candidate.
    """
    has_terms = lexical > 0
    w_dense = params.dense_weight if mode != "lexical" else 0.0
    w_lex = params.lexical_weight if mode != "dense" else 0.0
    eligible = has_terms if mode == "lexical" else np.ones(len(dense), dtype=bool)
    total = (w_dense + w_lex) or 1.0
    if params.fusion == "blend":
        top = float(lexical.max()) if len(lexical) else 0.0
        lex_norm = lexical / top if top > 0 else np.zeros_like(lexical)
        score = (w_dense * np.clip(dense, 0.0, 1.0) + w_lex * lex_norm) / total
        return score.astype(np.float64), eligible
    k = float(params.rrf_k)
    score = np.zeros(len(dense))
    if w_dense:
        score += w_dense / (k + ranks(dense, eligible))
    if w_lex:
        score += w_lex / (k + ranks(lexical, has_terms & eligible))
    return score * (k + 1.0) / total, eligible


def recency_boost(occurred: np.ndarray, now: float, params: FusionParams) -> np.ndarray:
    """(1 + weight * 0.5 ** (age / half-life)) / (1 + weight): 1 for what just happened, down to
    1 / (1 + weight) for the very old, so a fused score stays in [0, 1]."""
    weight = max(params.recency_weight, 0.0)
    age_days = np.maximum(now - occurred, 0.0) / SECONDS_PER_DAY
    decay = np.exp2(-age_days / max(params.half_life_days, 1e-9))
    return (1.0 + weight * decay) / (1.0 + weight)


def best_eligible(scores: np.ndarray, eligible: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k best eligible candidates, best first (ties by index, so results are stable)."""
    idx = np.flatnonzero(eligible)
    if len(idx) > k:
        part = np.argpartition(-scores[idx], k - 1)[:k]
        idx = idx[part]
    return idx[np.lexsort((idx, -scores[idx]))]
