"""What a data scientist would try first, implemented to their textbook definitions, for side-by-side evaluation.

All fit on the binary users x items matrix of positive training events (`TrainMatrix.positives`; positive as in
`protocols.is_positive`) and score every catalog item for a batch of users (`scores(rows)`):

- most-popular: the number of distinct users with a positive training event on the item;
- item-kNN: cosine similarity between item columns; a user's score for item j is the sum of sim(i, j) over the
  items i they engaged with positively;
- ALS with library defaults: `implicit`'s AlternatingLeastSquares() untouched (random_state fixed);
- EASE (Steck 2019): B = I - P diag(1/diag(P)) with P = (X^T X + lambda I)^-1, zero diagonal; scores x_u B.
  Items without a positive training event have a zero column and row in B, so the inverse is taken over the
  active items only (the same B, a smaller matrix);
- content-only: the user's profile is the sum of the MiniLM vectors of their positive training items; the score
  is the cosine between the profile and each item's vector (new items included: they keep their text).

The `*_ranker` functions adapt the first two to the older `Split` interface the retrain gate uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.linalg
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


@dataclass
class TrainMatrix:
    """A holdout's training side as matrices: rows are users (sorted), columns the catalog's items."""

    users: list[str]
    items: list[str]
    positives: sp.csr_matrix
    """1 where the user has a positive training event on the item."""
    seen: sp.csr_matrix
    """1 where the user has any training event on the item (never a candidate for them)."""

    def __post_init__(self) -> None:
        self.user_index = {u: n for n, u in enumerate(self.users)}
        self.item_index = {i: n for n, i in enumerate(self.items)}
        self.active = np.asarray(self.positives.sum(axis=1)).ravel() > 0
        """Users with >= 1 positive training event (the others get the cold fallback)."""


def train_matrix(train: dict[str, list[Interaction]], items: Sequence[str]) -> TrainMatrix:
    from memfeed.training.protocols import is_positive

    users = sorted(train)
    index = {i: n for n, i in enumerate(items)}
    pos_rows: list[int] = []
    pos_cols: list[int] = []
    seen_rows: list[int] = []
    seen_cols: list[int] = []
    for row, user in enumerate(users):
        seen: set[int] = set()
        liked: set[int] = set()
        for event in train[user]:
            col = index.get(event.item_id)
            if col is None:
                continue
            seen.add(col)
            if is_positive(event):
                liked.add(col)
        seen_rows.extend([row] * len(seen))
        seen_cols.extend(seen)
        pos_rows.extend([row] * len(liked))
        pos_cols.extend(liked)
    shape = (len(users), len(items))

    def binary(rows: list[int], cols: list[int]) -> sp.csr_matrix:
        data = np.ones(len(rows), dtype=np.float32)
        return sp.csr_matrix((data, (rows, cols)), shape=shape, dtype=np.float32)

    return TrainMatrix(users, list(items), binary(pos_rows, pos_cols), binary(seen_rows, seen_cols))


class ScoreModel(Protocol):
    """Scores every catalog item for a batch of users (rows of the `TrainMatrix` it was fitted on)."""

    def scores(self, rows: np.ndarray) -> np.ndarray: ...


class MostPopular:
    def __init__(self, matrix: TrainMatrix) -> None:
        self.popularity = np.asarray(matrix.positives.sum(axis=0), dtype=np.float32).ravel()

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.popularity, (len(rows), len(self.popularity))).copy()


class ItemKNN:
    def __init__(self, matrix: TrainMatrix) -> None:
        self.positives = matrix.positives
        self.similarity = item_knn_similarity(matrix.positives)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return np.asarray((self.positives[rows] @ self.similarity).todense(), dtype=np.float32)


class ImplicitALS:
    """`implicit`'s ALS with every library default (factors, regularization, iterations, alpha)."""

    def __init__(self, matrix: TrainMatrix, seed: int = 0) -> None:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1, "blas"):  # implicit's own threads; BLAS threads would oversubscribe
            model = AlternatingLeastSquares(random_state=seed)
            model.fit(matrix.positives, show_progress=False)
        self.user_factors = np.asarray(model.user_factors, dtype=np.float32)
        self.item_factors = np.asarray(model.item_factors, dtype=np.float32)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        return self.user_factors[rows] @ self.item_factors.T


def ease_weights(positives: sp.csr_matrix, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """EASE's B over the active items (those with a positive): (active item indices, B as float32)."""
    active = np.flatnonzero(np.asarray(positives.sum(axis=0)).ravel() > 0)
    x = positives[:, active]
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    precision = scipy.linalg.inv(gram, overwrite_a=True, check_finite=False)
    del gram
    diagonal = np.diag(precision).copy()
    precision /= -diagonal  # column j divided by P_jj
    np.fill_diagonal(precision, 0.0)
    return active, precision.astype(np.float32)


class EASE:
    def __init__(self, matrix: TrainMatrix, lam: float) -> None:
        self.lam = lam
        self.positives = matrix.positives
        self.n_items = matrix.positives.shape[1]
        self.active, self.weights = ease_weights(matrix.positives, lam)
        self.active_positives = matrix.positives[:, self.active].tocsr()

    def scores(self, rows: np.ndarray) -> np.ndarray:
        out = np.zeros((len(rows), self.n_items), dtype=np.float32)
        out[:, self.active] = np.asarray(self.active_positives[rows] @ self.weights)
        return out


class ContentProfile:
    """Content-only: cosine between the sum of the user's positive items' vectors and every item's vector."""

    def __init__(self, matrix: TrainMatrix, content: np.ndarray) -> None:
        norms = np.linalg.norm(content, axis=1, keepdims=True)
        self.content = (content / np.where(norms > 0, norms, 1.0)).astype(np.float32)
        self.positives = matrix.positives

    def scores(self, rows: np.ndarray) -> np.ndarray:
        profile = np.asarray(self.positives[rows] @ self.content, dtype=np.float32)
        norms = np.linalg.norm(profile, axis=1, keepdims=True)
        profile /= np.where(norms > 0, norms, 1.0)
        return profile @ self.content.T
