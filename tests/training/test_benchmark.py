"""`memfeed eval`'s engine on tiny data with known answers: metrics, top-k, bootstrap intervals, EASE against a
direct numpy computation, content-only on new items, and a whole run on generated histories."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
import scipy.sparse as sp

from memfeed.events.records import Interaction
from memfeed.platform.settings import Settings
from memfeed.training.baselines import EASE, ContentProfile, MostPopular, train_matrix
from memfeed.training.benchmark import EvalOptions, run_benchmark, score_recommender, tune_ease
from memfeed.training.bootstrap import bootstrap, interval, ratio_interval, resample_indices
from memfeed.training.evaluation import ranking_metrics, top_k_indices
from memfeed.training.offline import Catalog
from memfeed.training.protocols import histories, new_items, per_user_temporal
from memfeed.training.reports import EvalReport
from memfeed.training.retrain import TrainingData

T0 = datetime(2020, 1, 1, tzinfo=UTC)


def test_ranking_metrics_match_hand_computed_values() -> None:
    top = np.array([[0, 1, 2, 3], [4, 5, 6, -1], [7, 8, 9, 10]])
    relevant = [{0, 2}, {6, 11}, {99}]
    m = ranking_metrics(top, relevant, 3)
    # user 0: hits at ranks 1 and 3 of 3; ideal: two hits at ranks 1, 2
    assert m["ndcg@3"][0] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))
    # user 1: one hit at rank 3 of 2 relevant
    assert m["ndcg@3"][1] == pytest.approx((1 / 2) / (1 + 1 / math.log2(3)))
    assert m["ndcg@3"][2] == 0.0
    assert list(m["hit_rate@3"]) == [1.0, 1.0, 0.0]
    assert list(m["recall@3"]) == [1.0, 0.5, 0.0]


def test_top_k_skips_blocked_items_breaks_ties_by_index_and_pads() -> None:
    scores = np.array([[0.5, 0.9, 0.5, 0.1], [1.0, 2.0, 3.0, 4.0]], dtype=np.float32)
    blocked = sp.csr_matrix(np.array([[0, 1, 0, 0], [1, 1, 1, 0]], dtype=np.float32))
    assert top_k_indices(scores, blocked, 3).tolist() == [[0, 2, 3], [3, -1, -1]]


def test_bootstrap_interval_on_a_tiny_known_set() -> None:
    # two users, 0 and 1: a resampled mean is 0, 0.5 or 1 (probabilities 1/4, 1/2, 1/4), so the 2.5th
    # percentile is 0 and the 97.5th is 1 whenever 1,000 draws hold more than 25 of each extreme (they do).
    two = bootstrap(np.array([0.0, 1.0]), resamples=1000, seed=0)
    assert (two.mean, two.low, two.high) == (0.5, 0.0, 1.0)
    assert bootstrap(np.full(30, 0.25)).low == bootstrap(np.full(30, 0.25)).high == 0.25
    values = np.random.default_rng(5).random(200)
    indices = resample_indices(200, 1000, 0)
    expected = np.percentile([values[row].mean() for row in indices], [2.5, 97.5])
    got = interval(values, indices)
    assert (got.low, got.high) == pytest.approx(tuple(expected))
    assert got.low < values.mean() < got.high
    narrow = interval(np.tile(values, 4), resample_indices(800, 1000, 0))
    assert narrow.high - narrow.low < got.high - got.low  # four times the users: about half as wide


def test_ratio_interval_is_paired() -> None:
    b = np.random.default_rng(1).random(50)
    exact = ratio_interval(2 * b, b, resample_indices(50, 200, 0))
    assert exact.mean == pytest.approx(2) and exact.low == pytest.approx(2) and exact.high == pytest.approx(2)


def likes(user: str, items: list[str], start: int = 0) -> list[tuple[str, Interaction]]:
    return [(user, Interaction(i, "like", None, T0 + timedelta(days=start + n))) for n, i in enumerate(items)]


def test_ease_equals_the_closed_form_computed_directly() -> None:
    rng = np.random.default_rng(0)
    dense = (rng.random((12, 7)) < 0.4).astype(np.float32)
    dense[:, 6] = 0  # an item without any positive: its column of B is zero
    items = [f"i{j}" for j in range(7)]
    train = {
        f"u{r:02d}": [Interaction(items[j], "like", None, T0) for j in np.flatnonzero(dense[r])]
        or [Interaction("i6", "view", None, T0)]
        for r in range(12)
    }
    matrix = train_matrix(train, items)
    assert np.array_equal(matrix.positives.toarray(), dense)
    lam = 3.0
    gram = dense.T.astype(np.float64) @ dense + lam * np.eye(7)
    p = np.linalg.inv(gram)
    b = np.eye(7) - p / np.diag(p)  # B = I - P diag(1 / diag(P)), zero diagonal
    np.fill_diagonal(b, 0.0)
    rows = np.arange(12)
    assert EASE(matrix, lam).scores(rows) == pytest.approx((dense @ b).astype(np.float32), abs=1e-5)


def test_content_only_reaches_new_items_through_their_text() -> None:
    vectors = {
        "a": np.array([1.0, 0.0, 0.0]),
        "b": np.array([0.9, 0.1, 0.0]),
        "new": np.array([0.95, 0.05, 0.0]),
        "far": np.array([0.0, 0.0, 1.0]),
    }
    catalog = Catalog.from_vectors({k: v.astype(np.float32) for k, v in vectors.items()}, dim=3)
    matrix = train_matrix(
        {"u": [Interaction("a", "like", None, T0)], "v": [Interaction("far", "like", None, T0)]},
        catalog.item_ids,
    )
    scores = ContentProfile(matrix, catalog.content).scores(np.array([matrix.user_index["u"]]))[0]
    order = [catalog.item_ids[i] for i in np.argsort(-scores)]
    assert order[:3] == ["a", "new", "b"]


def clustered_data(users: int = 60, seed: int = 0) -> TrainingData:
    """Four tastes over 80 items; an item's vector points at its taste, so content can find new items."""
    rng = random.Random(seed)
    items = [f"i{n:02d}" for n in range(80)]
    axes = np.eye(4, dtype=np.float32)
    vectors = {}
    for n, item in enumerate(items):
        v = axes[n % 4] + 0.3 * np.random.default_rng(n).normal(size=4).astype(np.float32)
        vectors[item] = v / np.linalg.norm(v)
    events = []
    for u in range(users):
        pool = [i for n, i in enumerate(items) if n % 4 == u % 4]
        chosen = rng.sample(pool, rng.randint(4, 12))
        events += likes(f"u{u:02d}", chosen, start=rng.randint(0, 50))
    return TrainingData(events, Catalog.from_vectors(vectors, 4), T0 + timedelta(days=80), users)


def test_ease_lambda_is_tuned_on_validation_only() -> None:
    data = clustered_data()
    test = per_user_temporal(histories(data.events), data.catalog.item_ids)
    from memfeed.training.protocols import validation_of

    validation = validation_of(test)
    best, scores = tune_ease(validation, [1.0, 10.0, 1000.0], 10)
    assert set(scores) == {1.0, 10.0, 1000.0} and scores[best] == max(scores.values())
    # moving every test-held-out event does not change the validation scores
    held = {id(e) for u, evs in histories(data.events).items() for e in evs[len(test.train.get(u, [])) :]}
    shuffled = [(u, e._replace(item_id="i00") if id(e) in held else e) for u, e in data.events]
    validation2 = validation_of(per_user_temporal(histories(shuffled), data.catalog.item_ids))
    assert tune_ease(validation2, [1.0, 10.0, 1000.0], 10)[1] == scores


def test_a_run_scores_every_model_on_the_same_users_with_intervals() -> None:
    data = clustered_data()
    report = EvalReport(
        run_benchmark(data, Settings(_env_file=None), EvalOptions(resamples=200, ease_lambdas=(10.0, 100.0)))
    )
    out = report.to_dict()
    assert set(out["protocols"]) == {"temporal", "last_one", "new_items"}
    temporal = out["protocols"]["temporal"]
    assert set(temporal["models"]) == {"memfeed", "most_popular", "item_knn", "als", "ease", "content_only"}
    for metrics in temporal["models"].values():
        for value in metrics.values():
            assert value["low"] <= value["mean"] <= value["high"]
    # clustered tastes: item-kNN finds the cluster, most-popular cannot
    assert (
        temporal["models"]["item_knn"]["ndcg@10"]["mean"]
        > temporal["models"]["most_popular"]["ndcg@10"]["mean"]
    )
    new = out["protocols"]["new_items"]
    assert new["new"]["users"] + new["warm"]["users"] == new["users"] > 0
    # new items have no interactions: collaborative baselines score them 0 (a hit only by a tie at 0 filling
    # the page), content-only finds them through their vectors
    assert new["new"]["users"] > 0
    hr = {m: v["hit_rate@10"]["mean"] for m, v in new["new"]["models"].items()}
    assert hr["content_only"] > max(hr["item_knn"], hr["ease"], hr["most_popular"])
    markdown = report.markdown()
    assert "| **memfeed** (served ranking) |" in markdown and "EASE (lambda" in markdown
    assert "held-out item new" in markdown


def test_baselines_score_the_held_out_item_when_it_is_the_obvious_next() -> None:
    # everyone who liked a and b also liked c; u0 liked a and b only: c must top item-kNN and EASE for u0
    events = []
    for u in range(1, 8):
        events += likes(f"u{u}", ["a", "b", "c"])
    events += likes("u0", ["a", "b", "d", "c"])
    data = histories(events)
    items = ["a", "b", "c", "d", "e"]
    split = new_items(data, items, share=0.0)
    assert split.relevant["u0"] == {"c"}
    matrix = train_matrix(split.train, items)
    popular = MostPopular(matrix)
    for model in (EASE(matrix, 1.0),):
        top = score_recommender(model, matrix, popular, 2)(["u0"])
        assert items[top[0][0]] == "c"


def test_holdout_sample_is_used_for_every_model() -> None:
    data = clustered_data()
    bench = run_benchmark(
        data,
        Settings(_env_file=None),
        EvalOptions(protocols=("temporal",), max_users=10, resamples=50, ease_lambdas=(10.0,)),
    )
    run = bench.protocols[0]
    assert len(run.users) == 10 and run.sampled_from and run.sampled_from > 10
    assert all(len(values) == 10 for metrics in run.per_user.values() for values in metrics.values())


def test_unknown_protocol_is_refused() -> None:
    with pytest.raises(ValueError):
        run_benchmark(clustered_data(), Settings(_env_file=None), EvalOptions(protocols=("global",)))
