"""Collaborative factors from activity (implicit ALS), and the exact ALS fold-in used at request time.

Events become one confidence per (user, item): the same type weights and relative time decay as the live profile,
positives only (ALS on implicit feedback has no notion of a negative; the feed's push-away handles those).
No I/O here: arrays in, arrays out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import scipy.sparse as sp

from memfeed.events.weights import decay_many, event_weight


@dataclass(frozen=True)
class TrainParams:
    factors: int = 96
    regularization: float = 0.05
    iterations: int = 15
    alpha: float = 20.0
    half_life_days: float = 60.0
    cf_weight: float = 0.6
    seed: int = 42

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class InteractionMatrix:
    """Users x items confidence matrix with its id maps and what it was built from."""

    user_ids: list[str]
    item_ids: list[str]
    matrix: sp.csr_matrix
    events: int
    last_event_at: datetime | None
    user_index: dict[str, int] = field(default_factory=dict)
    item_index: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.user_index = {u: i for i, u in enumerate(self.user_ids)}
        self.item_index = {it: i for i, it in enumerate(self.item_ids)}


EventRow = tuple[str, str, str, float | None, datetime]
"""(user_id, item_id, type, value, timestamp)"""


def build_matrix(
    events: Iterable[EventRow], *, half_life_days: float, item_ids: Iterable[str] = ()
) -> InteractionMatrix:
    """Aggregate events into positive confidences; `item_ids` pre-registers items with no events yet.

    Each event decays by its age behind its user's latest event (the feed's rule, memfeed/events/weights.py),
    not behind a global clock: a user last active years before the data's end keeps their relative weights
    and their row, instead of underflowing to nothing."""
    users: dict[str, int] = {}
    items: dict[str, int] = {i: n for n, i in enumerate(dict.fromkeys(item_ids))}
    rows: list[int] = []
    cols: list[int] = []
    base: list[float] = []
    seconds: list[float] = []
    last: datetime | None = None
    for user_id, item_id, kind, value, ts in events:
        if last is None or ts > last:
            last = ts
        rows.append(users.setdefault(user_id, len(users)))
        cols.append(items.setdefault(item_id, len(items)))
        base.append(event_weight(kind, value))
        seconds.append(ts.timestamp())
    u = np.asarray(rows, dtype=np.int64)
    at = np.asarray(seconds, dtype=np.float64)
    latest = np.full(len(users), -np.inf)
    np.maximum.at(latest, u, at)
    weights = np.asarray(base, dtype=np.float64) * decay_many((latest[u] - at) / 86400.0, half_life_days)
    summed = sp.coo_matrix(
        (weights, (u, np.asarray(cols, dtype=np.int64))), shape=(len(users), len(items))
    ).tocsr()  # duplicates (several events on one item) are summed
    summed.data[summed.data <= 0] = 0.0  # implicit ALS knows no negative: the feed's push-away has them
    matrix = summed.astype(np.float32)
    matrix.eliminate_zeros()
    return InteractionMatrix(list(users), list(items), matrix, len(rows), last)


@dataclass
class Factors:
    """Trained ALS factors plus what fold-in needs: the regularized Gram matrix of item factors."""

    user_ids: list[str]
    item_ids: list[str]
    user_factors: np.ndarray
    item_factors: np.ndarray
    params: TrainParams
    gram: np.ndarray
    scale: float
    content_map: np.ndarray | None = None
    """(content dim x factors) ridge map from content vectors to item factors, for items the model never saw."""
    item_index: dict[str, int] = field(default_factory=dict)
    user_index: dict[str, int] = field(default_factory=dict)
    _scaled: tuple[float, np.ndarray] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.item_index = {it: i for i, it in enumerate(self.item_ids)}
        self.user_index = {u: i for i, u in enumerate(self.user_ids)}

    def scaled_items(self) -> np.ndarray:
        """Item factors divided by `scale`, so a normalized user vector scores items in about [-1, 1].

        Computed once per scale (the feed reads it on every request); factors are not mutated after fitting.
        """
        cached = self._scaled
        if cached is None or cached[0] != self.scale:
            cached = (self.scale, (self.item_factors / self.scale).astype(np.float32))
            self._scaled = cached
        return cached[1]

    def fold_in(self, weights: dict[str, float]) -> np.ndarray | None:
        """The ALS user step for a user with these positive item weights: exact, one f x f solve.

        Returns the unit-normalized user vector, or None when none of the items is known to the model.
        """
        known = [(self.item_index[i], w) for i, w in weights.items() if w > 0 and i in self.item_index]
        if not known:
            return None
        idx = np.array([k for k, _ in known], dtype=np.int64)
        conf = 1.0 + self.params.alpha * np.array([w for _, w in known], dtype=np.float32)
        y = self.item_factors[idx]
        a = self.gram + (y.T * (conf - 1.0)) @ y
        b = (y * conf[:, None]).sum(axis=0)
        vector = np.linalg.solve(a, b)
        return unit(vector)

    def rows_for(
        self, item_ids: list[str], content: np.ndarray, positions: np.ndarray | None = None
    ) -> np.ndarray:
        """Scaled factors for `item_ids`; items the model never saw get factors estimated from `content`.

        `positions`: `self.positions(item_ids)` if the caller already has them (the feed needs them twice)."""
        scaled = self.scaled_items()
        pos = self.positions(item_ids) if positions is None else positions
        out = np.zeros((len(item_ids), scaled.shape[1]), dtype=np.float32)
        known = pos >= 0
        out[known] = scaled[pos[known]]
        unknown = ~out.any(axis=1)  # unknown to the model, or an all-zero factor row
        if self.content_map is not None and unknown.any():
            out[unknown] = (content[unknown] @ self.content_map) / self.scale
        return out

    def new_mask(self, item_ids: list[str], positions: np.ndarray | None = None) -> np.ndarray:
        """True for items without collaborative evidence (unknown to the model, or an all-zero factor row)."""
        pos = self.positions(item_ids) if positions is None else positions
        mask = pos < 0
        mask[~mask] = ~self.item_factors[pos[~mask]].any(axis=1)
        return mask

    def positions(self, item_ids: Sequence[str]) -> np.ndarray:
        """Factor rows of `item_ids` (int64), -1 where the model does not know the item."""
        get = self.item_index.get
        return np.fromiter((get(i, -1) for i in item_ids), dtype=np.int64, count=len(item_ids))

    def stored_user(self, user_id: str) -> np.ndarray | None:
        row = self.user_index.get(user_id)
        return None if row is None else unit(self.user_factors[row])

    def forget_users(self, user_ids: Iterable[str]) -> int:
        """Drop these users' stored factors (erasure): `stored_user` answers None for them from now on.

        The id leaves the index first, then the row is zeroed, so a concurrent reader sees the old row or
        nothing. Returns how many users were known.
        """
        forgotten = 0
        for user_id in user_ids:
            row = self.user_index.pop(user_id, None)
            if row is not None:
                self.user_factors[row] = 0.0
                forgotten += 1
        return forgotten


def fit_content_map(
    factors: Factors, content: dict[str, np.ndarray], *, regularization: float = 1.0, min_items: int = 20
) -> np.ndarray | None:
    """Ridge regression from content vectors to item factors over the items that have both.

    Lets a brand-new item join the collaborative space on its text alone, on the same scale as known
    items, instead of being ranked on a different scale (content only) or not at all.
    """
    rows = [(factors.item_index[i], v) for i, v in content.items() if i in factors.item_index]
    if len(rows) < min_items:
        return None
    x = np.vstack([v for _, v in rows]).astype(np.float64)
    y = factors.item_factors[[r for r, _ in rows]].astype(np.float64)
    a = x.T @ x + regularization * np.eye(x.shape[1])
    return np.linalg.solve(a, x.T @ y).astype(np.float32)


def unit(vector: np.ndarray) -> np.ndarray | None:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 1e-9 else None


def fit_factors(data: InteractionMatrix, params: TrainParams) -> Factors:
    """Fit implicit ALS on the confidence matrix (single BLAS thread: implicit parallelizes itself)."""
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(
            factors=params.factors,
            regularization=params.regularization,
            alpha=params.alpha,
            iterations=params.iterations,
            random_state=params.seed,
        )
        model.fit(data.matrix, show_progress=False)
    return factors_from_arrays(
        data.user_ids, data.item_ids, np.asarray(model.user_factors), np.asarray(model.item_factors), params
    )


def factors_from_arrays(
    user_ids: list[str],
    item_ids: list[str],
    user_factors: np.ndarray,
    item_factors: np.ndarray,
    params: TrainParams,
) -> Factors:
    items = np.ascontiguousarray(item_factors, dtype=np.float32)
    gram = items.T @ items + params.regularization * np.eye(items.shape[1], dtype=np.float32)
    norms = np.linalg.norm(items, axis=1)
    scale = float(np.percentile(norms, 99)) if len(norms) and norms.max() > 0 else 1.0
    return Factors(
        user_ids, item_ids, np.ascontiguousarray(user_factors, dtype=np.float32), items, params, gram, scale
    )
