"""Our baselines on ml-latest-small against the reference figures (/work/shared/tools/reference_baselines.txt),
under the per-user temporal protocol. Slow (about 1.5 minutes: six EASE inverses to choose lambda, then the
final fit), so it runs only with MEMFEED_SLOW_TESTS=1, and skips when the dataset is absent
(MEMFEED_MOVIELENS_DIR, else ../shared/data/ml-latest-small)."""

from __future__ import annotations

import csv
import importlib.util
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from memfeed.events.records import Interaction
from memfeed.platform.settings import Settings
from memfeed.training.benchmark import EvalOptions
from memfeed.training.offline import Catalog
from memfeed.training.reports import EvalReport, run_eval
from memfeed.training.retrain import TrainingData

REPO = Path(__file__).resolve().parents[2]
MOVIELENS_DIR = Path(os.environ.get("MEMFEED_MOVIELENS_DIR", REPO.parent / "shared/data/ml-latest-small"))

# reference_baselines.txt: NDCG@10 [95% interval], 595 users, EASE's lambda chosen on validation = 100
REFERENCE = {
    "most_popular": (0.0831, 0.0719, 0.0958),
    "item_knn": (0.1155, 0.1034, 0.1289),
    "als": (0.0996, 0.0890, 0.1109),
    "ease": (0.1312, 0.1169, 0.1460),
}

pytestmark = [
    pytest.mark.skipif(not os.environ.get("MEMFEED_SLOW_TESTS"), reason="slow: set MEMFEED_SLOW_TESTS=1"),
    pytest.mark.skipif(
        not (MOVIELENS_DIR / "ratings.csv").is_file(), reason=f"no MovieLens at {MOVIELENS_DIR}"
    ),
]


def movielens_as_imported() -> TrainingData:
    """The events `scripts/movielens.py` + `memfeed import` produce, in import order; vectors are random (the
    reference baselines do not read text)."""
    spec = importlib.util.spec_from_file_location("movielens_adapter", REPO / "scripts" / "movielens.py")
    assert spec and spec.loader
    adapter = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = adapter  # its dataclasses look their module up
    spec.loader.exec_module(adapter)
    events = []
    with (MOVIELENS_DIR / "ratings.csv").open(newline="") as handle:
        for rating in csv.DictReader(handle):
            _, user, item, ts, kind, value = adapter.event_row(rating)
            when = datetime.fromtimestamp(int(ts), UTC)
            events.append((user, Interaction(item, kind, float(value) if value else None, when)))
    with (MOVIELENS_DIR / "movies.csv").open(newline="") as handle:
        items = [f"ml-{row['movieId']}" for row in csv.DictReader(handle)]
    rng = np.random.default_rng(0)
    vectors = {
        i: v / np.linalg.norm(v)
        for i, v in zip(items, rng.normal(size=(len(items), 8)).astype(np.float32), strict=True)
    }
    return TrainingData(events, Catalog.from_vectors(vectors, 8), None, len({u for u, _ in events}))


def test_baselines_agree_with_the_reference_figures() -> None:
    options = EvalOptions(protocols=("temporal",), models=tuple(REFERENCE))
    report: EvalReport = run_eval(movielens_as_imported(), Settings(_env_file=None), options)
    out = report.to_dict()
    assert out["ease"]["lambda"] == 100.0
    temporal = out["protocols"]["temporal"]
    assert temporal["users"] == 595
    for model, (mean, low, high) in REFERENCE.items():
        ours = temporal["models"][model]["ndcg@10"]
        assert low <= ours["mean"] <= high, (model, ours, mean)
        assert ours["low"] <= mean <= ours["high"], (model, ours, mean)
