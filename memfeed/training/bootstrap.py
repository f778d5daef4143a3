"""Bootstrap intervals over users: how far a mean over a few hundred users can be trusted.

Percentile intervals from resampling users with replacement. One seed gives one index matrix, shared by every
model in a run, so intervals are paired: the ratio of two models' means is resampled on the same users.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RESAMPLES = 1000
SEED = 0


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float

    def to_dict(self) -> dict[str, float]:
        return {"mean": round(self.mean, 5), "low": round(self.low, 5), "high": round(self.high, 5)}

    def __str__(self) -> str:
        return f"{self.mean:.4f} [{self.low:.4f}, {self.high:.4f}]"


def resample_indices(n: int, resamples: int = RESAMPLES, seed: int = SEED) -> np.ndarray:
    """(resamples, n) indices into n users, drawn with replacement."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n)) if n else np.zeros((0, 0), int)


def interval(values: np.ndarray, indices: np.ndarray, level: float = 0.95) -> Interval:
    """Mean of `values` (one per user) and the percentile interval of the resampled means."""
    values = np.asarray(values, dtype=np.float64)
    if not len(values):
        return Interval(float("nan"), float("nan"), float("nan"))
    means = values[indices].mean(axis=1)
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(means, [tail, 100.0 - tail])
    return Interval(float(values.mean()), float(low), float(high))


def bootstrap(
    values: np.ndarray, resamples: int = RESAMPLES, seed: int = SEED, level: float = 0.95
) -> Interval:
    return interval(values, resample_indices(len(values), resamples, seed), level)


def ratio_interval(
    numerator: np.ndarray, denominator: np.ndarray, indices: np.ndarray, level: float = 0.95
) -> Interval:
    """Ratio of two models' means over the same users, resampled in pairs (the same users in both)."""
    a = np.asarray(numerator, dtype=np.float64)
    b = np.asarray(denominator, dtype=np.float64)
    if not len(a) or b.sum() == 0:
        return Interval(float("nan"), float("nan"), float("nan"))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = a[indices].mean(axis=1) / b[indices].mean(axis=1)  # x / 0 = inf, 0 / 0 = nan (dropped)
    tail = (1.0 - level) / 2.0 * 100.0
    # no interpolation between order statistics: an infinite ratio stays an infinite bound
    low, high = np.nanpercentile(ratios, [tail, 100.0 - tail], method="inverted_cdf")
    return Interval(float(a.mean() / b.mean()), float(low), float(high))
