"""What a data scientist would try first, implemented to their textbook definitions, for side-by-side evaluation.

- most-popular: lives in evaluation.py (also used as every ranker's cold fallback);
- item-kNN: cosine similarity between item columns of the binary user x item matrix of positive training
  events; a user's score for item j is the sum of sim(i, j) over the items i they engaged with positively;
- ALS with library defaults: `implicit`'s AlternatingLeastSquares() untouched, on the same binary matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from memfeed.events.records import Interaction
from memfeed.events.weights import event_weight
from memfeed.training.evaluation import Ranker, Split, dense_ranker


def positive_matrix(split: Split) -> tuple[sp.csr_matrix, dict[str, int], dict[str, int]]:
    """Binary users x items matrix of positive training events (users in `split.train` order)."""
    users = {u: n for n, u in enumerate(split.train)}
    items = {i: n for n, i in enumerate(split.items)}
    rows: list[int] = []
    cols: list[int] = []
    for user, history in split.train.items():
        liked = {it.item_id for it in history if event_weight(it.type, it.value) > 0 and it.item_id in items}
        rows.extend([users[user]] * len(liked))
        cols.extend(items[i] for i in liked)
    data = np.ones(len(rows), dtype=np.float32)
    matrix = sp.csr_matrix((data, (rows, cols)), shape=(len(users), len(items)), dtype=np.float32)
    return matrix, users, items


def item_knn_similarity(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Item-item cosine similarity (items x items, sparse), self-similarity removed."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=0))).ravel()
    norms[norms == 0] = 1.0
    normalized = matrix @ sp.diags(1.0 / norms)
    similarity = (normalized.T @ normalized).tocsr()
    similarity.setdiag(0)
    similarity.eliminate_zeros()
    return similarity


def item_knn_ranker(split: Split, fallback: Ranker) -> Ranker:
    matrix, users, _ = positive_matrix(split)
    similarity = item_knn_similarity(matrix)

    def score(user: str, _history: list[Interaction]) -> np.ndarray | None:
        row = users.get(user)
        if row is None or matrix[row].nnz == 0:
            return None
        return np.asarray((matrix[row] @ similarity).todense()).ravel()

    return dense_ranker(split.items, score, fallback)


def als_defaults_ranker(split: Split, fallback: Ranker, seed: int = 42) -> Ranker:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    matrix, users, _ = positive_matrix(split)
    with threadpool_limits(1, "blas"):
        model = AlternatingLeastSquares(random_state=seed)
        model.fit(matrix, show_progress=False)
    user_factors = np.asarray(model.user_factors)
    item_factors = np.asarray(model.item_factors)

    def score(user: str, _history: list[Interaction]) -> np.ndarray | None:
        row = users.get(user)
        if row is None or matrix[row].nnz == 0:
            return None
        return item_factors @ user_factors[row]

    return dense_ranker(split.items, score, fallback)
