"""Offline evaluation: ranking metrics (per list and vectorized per user), and the retrain gate's global split.

`top_k_indices` and `ranking_metrics` serve `memfeed eval` (training/benchmark.py, the per-user protocols of
training/protocols.py). The retrain gate still uses the global temporal split below. Its protocol: events before the cut (the `holdout_fraction` latest share of events by time is after it) train;
a user is evaluated when they have >= 1 training event and a positive test event on an item they had not seen
in training. Each model ranks every item the user has not seen in training; relevant = those test positives.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import scipy.sparse as sp

from memfeed.events.records import Interaction
from memfeed.events.weights import event_weight
from memfeed.feed.ranking import top_k

Ranker = Callable[[str, list[Interaction], set[str], int], list[str]]
"""(user_id, train interactions, items to exclude, k) -> ranked item ids"""


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / min(len(relevant), k)


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, item in enumerate(ranked[:k]) if item in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def average_precision_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    hits = 0
    total = 0.0
    for i, item in enumerate(ranked[:k]):
        if item in relevant:
            hits += 1
            total += hits / (i + 1)
    return total / min(len(relevant), k) if relevant else 0.0


def hit_rate_at_k(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return 1.0 if set(ranked[:k]) & relevant else 0.0


@dataclass
class Split:
    cut: datetime
    train: dict[str, list[Interaction]]
    test: dict[str, set[str]]
    train_events: int
    test_events: int
    items: list[str] = field(default_factory=list)
    cold_items: set[str] = field(default_factory=set)
    """Items first seen in the test period: no training event at all (the cold-start slice)."""

    @property
    def users(self) -> list[str]:
        return sorted(self.test)

    def sample_users(self, limit: int, seed: int = 42) -> int:
        """Keep at most `limit` evaluated users (a fixed-seed sample); returns how many there were.

        Ranking the whole catalog costs milliseconds per user, so at scale every user is too many for a
        retrain's gate; a fixed sample keeps comparisons between models on the same users.
        """
        total = len(self.test)
        if total > limit:
            keep = set(random.Random(seed).sample(self.users, limit))
            self.test = {u: r for u, r in self.test.items() if u in keep}
        return total


def temporal_split(
    events: Sequence[tuple[str, Interaction]], items: Sequence[str], holdout_fraction: float = 0.2
) -> Split:
    """Split (user_id, interaction) pairs at the time quantile `1 - holdout_fraction`."""
    if not events:
        raise ValueError("no events to evaluate on")
    times = sorted(it.ts for _, it in events)
    cut = times[min(int(len(times) * (1 - holdout_fraction)), len(times) - 1)]
    train: dict[str, list[Interaction]] = {}
    test_pos: dict[str, set[str]] = {}
    trained_items: set[str] = set()
    tested_items: set[str] = set()
    n_train = n_test = 0
    for user, it in events:
        if it.ts < cut:
            train.setdefault(user, []).append(it)
            trained_items.add(it.item_id)
            n_train += 1
        else:
            n_test += 1
            tested_items.add(it.item_id)
            if event_weight(it.type, it.value) >= 0.5:
                test_pos.setdefault(user, set()).add(it.item_id)
    test: dict[str, set[str]] = {}
    for user, positives in test_pos.items():
        seen = {it.item_id for it in train.get(user, [])}
        fresh = positives - seen
        if user in train and fresh:
            test[user] = fresh
    return Split(cut, train, test, n_train, n_test, list(items), tested_items - trained_items)


def intra_list_diversity(vectors: np.ndarray) -> float:
    """Mean pairwise cosine distance (1 - cos) within one list of normalized vectors; 0 for < 2 items."""
    n = len(vectors)
    if n < 2:
        return 0.0
    sims = vectors @ vectors.T
    return float((n * n - sims.sum()) / (n * (n - 1)))


def evaluate_rankers(
    split: Split,
    rankers: dict[str, Ranker],
    k: int = 10,
    content: Callable[[Sequence[str]], tuple[list[str], np.ndarray]] | None = None,
) -> dict[str, dict[str, float]]:
    """Per ranker: Recall@K, NDCG@K, MAP@K, HitRate@K (means over evaluated users), catalog coverage,
    intra-list diversity (when `content` looks up vectors), and recall split into warm and cold-start items.
    """
    results: dict[str, dict[str, float]] = {}
    for name, rank in rankers.items():
        sums: dict[str, float] = dict.fromkeys(("recall", "ndcg", "map", "hit_rate", "diversity"), 0.0)
        cold_sum = warm_sum = 0.0
        cold_users = warm_users = 0
        shown: set[str] = set()
        for user in split.users:
            history = split.train[user]
            ranked = rank(user, history, {it.item_id for it in history}, k)[:k]
            relevant = split.test[user]
            shown.update(ranked)
            sums["recall"] += recall_at_k(ranked, relevant, k)
            sums["ndcg"] += ndcg_at_k(ranked, relevant, k)
            sums["map"] += average_precision_at_k(ranked, relevant, k)
            sums["hit_rate"] += hit_rate_at_k(ranked, relevant, k)
            if content is not None:
                sums["diversity"] += intra_list_diversity(content(ranked)[1])
            cold = relevant & split.cold_items
            if cold:
                cold_sum += recall_at_k(ranked, cold, k)
                cold_users += 1
            if relevant - cold:
                warm_sum += recall_at_k(ranked, relevant - cold, k)
                warm_users += 1
        n = max(len(split.users), 1)
        row = {f"{m}@{k}": round(sums[m] / n, 5) for m in ("recall", "ndcg", "map", "hit_rate")}
        row["coverage"] = round(len(shown) / max(len(split.items), 1), 5)
        if content is not None:
            row["diversity"] = round(sums["diversity"] / n, 5)
        row[f"recall_warm@{k}"] = round(warm_sum / max(warm_users, 1), 5)
        row[f"recall_cold@{k}"] = round(cold_sum / max(cold_users, 1), 5)
        row["users"] = float(len(split.users))
        row["cold_users"] = float(cold_users)
        results[name] = row
    return results


def popularity_ranker(split: Split) -> Ranker:
    """Most-popular baseline: items by the number of distinct training users with a positive event."""
    counts = Counter[str]()
    for history in split.train.values():
        for item in {it.item_id for it in history if event_weight(it.type, it.value) > 0}:
            counts[item] += 1
    order = sorted(split.items, key=lambda i: (-counts[i], i))

    def rank(_user: str, _history: list[Interaction], exclude: set[str], k: int) -> list[str]:
        out = []
        for item in order:
            if item not in exclude:
                out.append(item)
                if len(out) == k:
                    break
        return out

    return rank


def dense_ranker(
    item_ids: list[str],
    score_user: Callable[[str, list[Interaction]], np.ndarray | None],
    fallback: Ranker,
    *,
    explore: np.ndarray | None = None,
    slots: int = 0,
) -> Ranker:
    """Ranks all items by `score_user` (one score per item in `item_ids` order) with the feed's `top_k`
    (including its exploration slots); cold users use `fallback`."""
    position = {item: i for i, item in enumerate(item_ids)}

    def rank(user: str, history: list[Interaction], exclude: set[str], k: int) -> list[str]:
        scores = score_user(user, history)
        if scores is None:
            return fallback(user, history, exclude, k)
        scores = scores.copy()
        blocked = [position[i] for i in exclude if i in position]
        scores[blocked] = -np.inf
        allowed = None
        if explore is not None:
            allowed = explore.copy()
            allowed[blocked] = False
        picked = top_k(scores, item_ids, k, explore=allowed, slots=slots)
        return [item_ids[i] for i in picked if np.isfinite(scores[i])]

    return rank


def top_k_indices(scores: np.ndarray, blocked: sp.csr_matrix, k: int) -> np.ndarray:
    """Per row of `scores` (users x items), the indices of the k best items not blocked for that user, best first;
    -1 where fewer than k items are left. Ties at equal score go to the lower item index."""
    scores = np.array(scores, dtype=np.float64, copy=True)
    coo = blocked.tocoo()
    scores[coo.row, coo.col] = -np.inf
    n_items = scores.shape[1]
    k = min(k, n_items)
    if k <= 0:
        return np.zeros((len(scores), 0), dtype=np.int64)
    part = (
        np.argpartition(-scores, k - 1, axis=1)[:, :k]
        if k < n_items
        else np.tile(np.arange(n_items), (len(scores), 1))
    )
    part.sort(axis=1)  # item index order, so the stable sort below breaks ties by index
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    top = np.take_along_axis(part, order, axis=1)
    top[~np.isfinite(np.take_along_axis(scores, top, axis=1))] = -1
    return top


def ranking_metrics(top: np.ndarray, relevant: Sequence[set[int]], k: int) -> dict[str, np.ndarray]:
    """NDCG@k (binary gains), HR@k and recall@k (hits / min(|relevant|, k)), one value per user (row of `top`)."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    ndcg = np.zeros(len(top))
    hits = np.zeros(len(top))
    recall = np.zeros(len(top))
    for n, (row, rel) in enumerate(zip(top, relevant, strict=True)):
        if not rel:
            continue
        gains = np.fromiter((i in rel for i in row[:k]), dtype=bool, count=min(k, len(row)))
        found = int(gains.sum())
        ideal = discounts[: min(len(rel), k)].sum()
        ndcg[n] = discounts[: len(gains)][gains].sum() / ideal
        hits[n] = float(found > 0)
        recall[n] = found / min(len(rel), k)
    return {f"ndcg@{k}": ndcg, f"hit_rate@{k}": hits, f"recall@{k}": recall}
