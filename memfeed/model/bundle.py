"""The artifacts of one trained model version, and the loaded form the feed serves from.

Files (relative to the version folder; every one is checksummed in the manifest):
    factors/item_factors.npy, factors/user_factors.npy   ALS factors (float32)
    factors/item_ids.json, factors/user_ids.json         row -> external id
    factors/content_map.npy                              ridge map content -> factors (items the model never saw)
    model.json                                           parameters, factor scale, watermark, learned freshness
    hybrid_index/                                        vectorstore index of hybrid item vectors
A hybrid item vector is [sqrt(w) x item factors / scale, sqrt(1 - w) x content vector], w = cf_weight, so its
inner product with [sqrt(w) x user factors, sqrt(1 - w) x taste] is the ranking's relevance before re-rank.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from memfeed.model.factors import Factors, TrainParams, factors_from_arrays
from vectorstore import VectorIndex


@dataclass
class ServingModel:
    version: str
    factors: Factors
    hybrid: VectorIndex
    watermark: datetime | None
    freshness_days: float | None = None
    erasures_applied: int = 0
    """The last `erasures` row id whose user was dropped from these factors (see memfeed/privacy/service.py)."""

    @property
    def params(self) -> TrainParams:
        return self.factors.params

    def factor_rows(self, item_ids: list[str], content: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scaled item factors for `item_ids` (items newer than the model get them estimated from content),
        and which of them have no collaborative evidence (see `Factors.new_mask`); one id lookup for both."""
        positions = self.factors.positions(item_ids)
        return self.factors.rows_for(item_ids, content, positions), self.factors.new_mask(item_ids, positions)

    def hybrid_query(self, taste: np.ndarray | None, user_factors: np.ndarray | None) -> np.ndarray | None:
        if user_factors is None:
            return None
        w = self.params.cf_weight
        content = (
            taste if taste is not None else np.zeros(self.hybrid.dim - len(user_factors), dtype=np.float32)
        )
        return np.concatenate([math.sqrt(w) * user_factors, math.sqrt(1 - w) * content]).astype(np.float32)


def hybrid_vectors(
    factors: Factors, content: dict[str, np.ndarray], dim: int
) -> tuple[list[str], np.ndarray]:
    """Hybrid vectors for every item that has a content vector (factors estimated from content if unseen)."""
    w = factors.params.cf_weight
    ids = sorted(content)
    matrix = (
        np.vstack([content[i] for i in ids]).astype(np.float32) if ids else np.zeros((0, dim), np.float32)
    )
    rows = factors.rows_for(ids, matrix)
    return ids, np.hstack([math.sqrt(w) * rows, math.sqrt(1 - w) * matrix]).astype(np.float32)


def save_bundle(
    directory: Path,
    factors: Factors,
    content: dict[str, np.ndarray],
    dim: int,
    watermark: datetime | None,
    *,
    hnsw_threshold: int = 20_000,
    freshness_days: float | None = None,
) -> None:
    (directory / "factors").mkdir(parents=True, exist_ok=True)
    np.save(directory / "factors" / "item_factors.npy", factors.item_factors)
    np.save(directory / "factors" / "user_factors.npy", factors.user_factors)
    (directory / "factors" / "item_ids.json").write_text(json.dumps(factors.item_ids))
    (directory / "factors" / "user_ids.json").write_text(json.dumps(factors.user_ids))
    if factors.content_map is not None:
        np.save(directory / "factors" / "content_map.npy", factors.content_map)
    meta: dict[str, Any] = {
        "params": factors.params.to_dict(),
        "scale": factors.scale,
        "watermark": watermark.isoformat() if watermark else None,
        "freshness_days": freshness_days,
    }
    (directory / "model.json").write_text(json.dumps(meta, indent=2))
    ids, vectors = hybrid_vectors(factors, content, dim)
    index = VectorIndex(vectors.shape[1], hnsw_threshold=hnsw_threshold)
    if ids:
        index.upsert(ids, vectors)
    index.save(directory / "hybrid_index")


def load_bundle(directory: Path, version: str) -> ServingModel:
    """Load a version's artifacts (the caller verifies checksums first, through the registry)."""
    meta = json.loads((directory / "model.json").read_text())
    params = TrainParams(**meta["params"])
    item_ids = json.loads((directory / "factors" / "item_ids.json").read_text())
    user_ids = json.loads((directory / "factors" / "user_ids.json").read_text())
    item_factors = np.load(directory / "factors" / "item_factors.npy")
    user_factors = np.load(directory / "factors" / "user_factors.npy")
    factors = factors_from_arrays(user_ids, item_ids, user_factors, item_factors, params)
    factors.scale = float(meta["scale"])
    content_map = directory / "factors" / "content_map.npy"
    factors.content_map = np.load(content_map) if content_map.exists() else None
    watermark = datetime.fromisoformat(meta["watermark"]) if meta.get("watermark") else None
    hybrid = VectorIndex.load(directory / "hybrid_index")
    freshness_days = meta.get("freshness_days")
    return ServingModel(version, factors, hybrid, watermark, freshness_days)
