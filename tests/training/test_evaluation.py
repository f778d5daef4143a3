"""Evaluation metrics against hand-computed cases, and each baseline against its definition on tiny data."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from memfeed.events.records import Interaction
from memfeed.feed.ranking import RankWeights
from memfeed.training.baselines import (
    als_defaults_ranker,
    item_knn_ranker,
    item_knn_similarity,
    positive_matrix,
)
from memfeed.training.evaluation import (
    Split,
    average_precision_at_k,
    evaluate_rankers,
    hit_rate_at_k,
    intra_list_diversity,
    ndcg_at_k,
    popularity_ranker,
    recall_at_k,
    temporal_split,
)
from memfeed.training.offline import Catalog, ProfileSettings, hybrid_ranker

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_metrics_match_a_hand_computed_three_user_example() -> None:
    cases = [
        (["a", "b", "c", "d"], {"a", "c"}),  # hits at ranks 1 and 3
        (["x", "y", "z"], {"z"}),  # hit at rank 3
        (["p", "q", "r"], {"s"}),  # miss
    ]
    k = 3
    recall = [recall_at_k(r, rel, k) for r, rel in cases]
    ndcg = [ndcg_at_k(r, rel, k) for r, rel in cases]
    ap = [average_precision_at_k(r, rel, k) for r, rel in cases]
    hits = [hit_rate_at_k(r, rel, k) for r, rel in cases]
    assert recall == [1.0, 1.0, 0.0]
    assert ndcg[0] == pytest.approx((1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)))  # 0.91972
    assert ndcg[1] == pytest.approx(0.5)
    assert ap == pytest.approx([(1 / 1 + 2 / 3) / 2, 1 / 3, 0.0])
    assert hits == [1.0, 1.0, 0.0]
    assert sum(ndcg) / 3 == pytest.approx(0.473240, abs=1e-6)
    assert sum(ap) / 3 == pytest.approx(0.388889, abs=1e-6)


def test_recall_is_capped_by_k_and_diversity_is_mean_pairwise_distance() -> None:
    assert recall_at_k(["a", "b"], {"a", "b", "c", "d"}, 2) == 1.0
    same = np.array([[1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    orthogonal = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    assert intra_list_diversity(same) == pytest.approx(0.0)
    assert intra_list_diversity(orthogonal) == pytest.approx(1.0)


def like(item: str, day: int) -> Interaction:
    return Interaction(item, "like", None, T0 + timedelta(days=day))


def tiny_split() -> Split:
    """u1 likes A,B; u2 likes A,B,C; u3 likes C,D (training); held-out likes on day 10."""
    events = [
        ("u1", like("A", 1)),
        ("u1", like("B", 2)),
        ("u2", like("A", 1)),
        ("u2", like("B", 2)),
        ("u2", like("C", 3)),
        ("u3", like("C", 1)),
        ("u3", like("D", 2)),
        ("u1", like("C", 10)),
        ("u3", like("E", 11)),
    ]
    return temporal_split(events, ["A", "B", "C", "D", "E"], holdout_fraction=0.2)


def test_temporal_split_is_a_global_time_cut_with_cold_items() -> None:
    split = tiny_split()
    assert split.cut == T0 + timedelta(days=10)
    assert split.users == ["u1", "u3"]
    assert split.test == {"u1": {"C"}, "u3": {"E"}}
    assert split.cold_items == {"E"}


def test_item_knn_is_cosine_on_the_interaction_matrix() -> None:
    split = tiny_split()
    matrix, _, items = positive_matrix(split)
    sim = item_knn_similarity(matrix).toarray()
    a, b, c, d = (items[x] for x in "ABCD")
    assert sim[a, b] == pytest.approx(1.0)
    assert sim[a, c] == pytest.approx(0.5)
    assert sim[c, d] == pytest.approx(1 / math.sqrt(2))
    assert sim[a, d] == 0.0 and sim[a, a] == 0.0
    rank = item_knn_ranker(split, popularity_ranker(split))
    # u1 (A, B): C scores sim(A,C) + sim(B,C) = 1.0, D scores 0: C first.
    assert rank("u1", split.train["u1"], {"A", "B"}, 2)[0] == "C"


def test_most_popular_counts_distinct_positive_users() -> None:
    split = tiny_split()
    rank = popularity_ranker(split)
    assert rank("u3", split.train["u3"], set(), 4) == ["A", "B", "C", "D"]  # 2, 2, 2 users (ties by id), 1
    assert rank("u3", split.train["u3"], {"A"}, 2) == ["B", "C"]


def test_als_defaults_ranks_by_the_library_models_scores() -> None:
    from implicit.cpu.als import AlternatingLeastSquares

    split = tiny_split()
    matrix, users, items = positive_matrix(split)
    model = AlternatingLeastSquares(random_state=42)
    model.fit(matrix, show_progress=False)
    expected_ids, _ = model.recommend(users["u1"], matrix[users["u1"]], N=3, filter_already_liked_items=True)
    by_index = {v: k for k, v in items.items()}
    expected = [by_index[int(i)] for i in expected_ids]
    rank = als_defaults_ranker(split, popularity_ranker(split), seed=42)
    assert rank("u1", split.train["u1"], {"A", "B"}, 3) == expected


def test_content_only_ranks_by_similarity_to_what_the_user_liked() -> None:
    split = tiny_split()
    vectors = {
        "A": [1.0, 0.0, 0.0],
        "B": [0.9, 0.1, 0.0],
        "C": [0.8, 0.0, 0.2],
        "D": [0.0, 0.0, 1.0],
        "E": [0.0, 1.0, 0.0],
    }
    catalog = Catalog.from_vectors(
        {k: (np.array(v) / np.linalg.norm(v)).astype(np.float32) for k, v in vectors.items()}, dim=3
    )
    weights = RankWeights(cf_weight=0.0, popularity_weight=0.0, freshness_weight=0.0)
    zeros = np.zeros(5, dtype=np.float32)
    rank = hybrid_ranker(
        catalog, None, zeros, weights, ProfileSettings(), split.cut, popularity_ranker(split)
    )
    assert rank("u1", split.train["u1"], {"A", "B"}, 3) == ["C", "E", "D"]  # C is close to A and B


def test_evaluate_rankers_reports_every_metric_and_the_cold_slice() -> None:
    split = tiny_split()
    perfect = {"u1": ["C"], "u3": ["E"]}
    results = evaluate_rankers(split, {"oracle": lambda u, h, e, k: perfect[u]}, k=5)["oracle"]
    assert results["recall@5"] == 1.0 and results["ndcg@5"] == 1.0
    assert results["recall_cold@5"] == 1.0 and results["recall_warm@5"] == 1.0
    assert results["coverage"] == pytest.approx(2 / 5)


def test_exploration_slots_put_the_best_new_items_at_the_end_of_the_page() -> None:
    from memfeed.feed.ranking import top_k

    ids = ["a", "b", "c", "d", "e", "f"]
    scores = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1], dtype=np.float32)
    new = np.array([False, False, False, False, True, True])
    assert top_k(scores, ids, 3) == [0, 1, 2]
    assert top_k(scores, ids, 3, explore=new, slots=1) == [0, 1, 4]
    assert top_k(scores, ids, 3, explore=new, slots=2) == [0, 4, 5]
    already = np.array([False, True, False, False, True, True])  # a new item already made the page
    assert top_k(scores, ids, 3, explore=already, slots=1) == [0, 1, 2]
