"""Search kernels shared by `VectorIndex` and the exclusion benchmark.

Plain functions over arrays / FAISS indexes, so `bench/bench_index_exclusion.py` times exactly the
code the index runs. Exclusions are applied as pre-filters (FAISS IDSelectorBitmap, or dropping
columns before top-k), not by over-fetching: the benchmark shows over-fetch cost growing with the
exclusion size while a bitmap test per candidate stays flat.
"""

from __future__ import annotations

import faiss
import numpy as np

__all__ = [
    "allowed_bitmap",
    "blas_topk",
    "exact_topk",
    "hnsw_search_batch_selector",
    "hnsw_search_bitmap",
    "hnsw_search_filtered",
    "hnsw_search_overfetch",
    "is_allowed",
    "scan_topk",
]

# Below this many queries FAISS's per-query scan with a selector beats a BLAS matmul + argpartition
# (~5 vs ~8 ms for one query over 100k x 384); from here on BLAS's batched GEMM wins.
SCAN_MAX_QUERIES = 8
# Score-matrix budget per BLAS chunk: bounds memory for big `search_many` calls.
_CHUNK_BYTES = 64 << 20


def allowed_bitmap(alive: np.ndarray, banned: np.ndarray) -> np.ndarray:
    """Copy of a packed bitmap with the `banned` bits cleared.

    Bit order is little-endian within each byte because that is how IDSelectorBitmap reads it.
    """
    bitmap = alive.copy()
    if banned.size:
        masks = np.invert(np.left_shift(1, banned & 7).astype(np.uint8))
        np.bitwise_and.at(bitmap, banned >> 3, masks)
    return bitmap


def is_allowed(bitmap: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Vectorised bitmap membership; -1 (FAISS 'no result') and out-of-range labels are never allowed."""
    valid = (labels >= 0) & (labels < 8 * bitmap.size)
    safe = np.where(valid, labels, 0)
    return valid & ((bitmap[safe >> 3] >> (safe & 7).astype(np.uint8)) & 1).astype(bool)


# ---------------------------------------------------------------------------- exact search
def exact_topk(
    matrix: np.ndarray, queries: np.ndarray, k: int, banned_rows: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact inner-product top-k over `matrix` rows, never returning `banned_rows` (unique row numbers).

    Returns (scores, rows), each (q, min(k, eligible)), best first: always exactly that many, since
    banned rows are filtered before selection rather than after.
    """
    banned = np.empty(0, dtype=np.int64) if banned_rows is None else banned_rows
    kk = max(0, min(k, matrix.shape[0] - int(banned.size)))
    nq = queries.shape[0]
    if kk == 0 or nq == 0:
        return np.empty((nq, kk), dtype=np.float32), np.empty((nq, kk), dtype=np.int64)
    if nq < SCAN_MAX_QUERIES:
        return scan_topk(matrix, queries, kk, banned)
    return blas_topk(matrix, queries, kk, banned)


def scan_topk(
    matrix: np.ndarray, queries: np.ndarray, k: int, banned: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """faiss.knn_inner_product straight over our matrix (no copy) with an IDSelectorBitmap.

    Falls back to `blas_topk` if FAISS ever returns a missing or banned row, so exactness never
    depends on the selector. Requires k <= eligible rows.
    """
    n, dim = matrix.shape
    bitmap = allowed_bitmap(np.full((n + 7) // 8, 0xFF, dtype=np.uint8), banned)
    selector = faiss.IDSelectorBitmap(bitmap)  # type: ignore[call-arg,arg-type]  # numpy overload
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    nq = queries.shape[0]
    scores = np.empty((nq, k), dtype=np.float32)
    rows = np.empty((nq, k), dtype=np.int64)
    faiss.knn_inner_product(
        faiss.swig_ptr(queries),
        faiss.swig_ptr(matrix),
        dim,
        nq,
        n,
        k,
        faiss.swig_ptr(scores),
        faiss.swig_ptr(rows),
        selector,
    )
    if not is_allowed(bitmap, rows).all():
        return blas_topk(matrix, queries, k, banned)
    return scores, rows


def blas_topk(
    matrix: np.ndarray, queries: np.ndarray, k: int, banned: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """BLAS matmul + argpartition; banned columns are dropped (not set to -inf) before selection.

    Requires k <= eligible rows.
    """
    n = matrix.shape[0]
    cols: np.ndarray | None = None
    if banned.size:
        keep = np.ones(n, dtype=bool)
        keep[banned] = False
        cols = np.flatnonzero(keep)
    nq = queries.shape[0]
    out_scores = np.empty((nq, k), dtype=np.float32)
    out_rows = np.empty((nq, k), dtype=np.int64)
    step = max(1, _CHUNK_BYTES // (4 * max(n, 1)))
    for start in range(0, nq, step):
        scores = queries[start : start + step] @ matrix.T
        if cols is not None:
            scores = scores[:, cols]
        if k < scores.shape[1]:
            part = np.argpartition(scores, scores.shape[1] - k, axis=1)[:, -k:]
        else:
            part = np.broadcast_to(np.arange(scores.shape[1]), scores.shape)
        part_scores = np.take_along_axis(scores, part, axis=1)
        order = np.argsort(-part_scores, axis=1, kind="stable")
        best = np.take_along_axis(part, order, axis=1)
        out_scores[start : start + step] = np.take_along_axis(part_scores, order, axis=1)
        out_rows[start : start + step] = best if cols is None else cols[best]
    return out_scores, out_rows


# ---------------------------------------------------------------------------- HNSW search
def _keep_first_allowed(
    scores: np.ndarray, labels: np.ndarray, bitmap: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Post-filter FAISS output: keep the first k allowed hits per row, pad with -1.

    Applied even after a selector search so a FAISS selector bug can never leak a banned id.
    """
    ok = is_allowed(bitmap, labels)
    order = np.argsort(~ok, axis=1, kind="stable")[:, :k]
    labels = np.take_along_axis(labels, order, axis=1)
    scores = np.take_along_axis(scores, order, axis=1)
    ok = np.take_along_axis(ok, order, axis=1)
    labels[~ok] = -1
    scores[~ok] = -np.inf
    if labels.shape[1] < k:
        pad = k - labels.shape[1]
        labels = np.pad(labels, ((0, 0), (0, pad)), constant_values=-1)
        scores = np.pad(scores, ((0, 0), (0, pad)), constant_values=-np.inf)
    return scores, labels


def _hnsw_params(ef: int) -> faiss.SearchParameters:
    params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # stub lags runtime
    params.efSearch = ef
    return params


def hnsw_search_bitmap(
    index: faiss.Index, queries: np.ndarray, k: int, ef: int, bitmap: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """One HNSW pass restricted by an IDSelectorBitmap of allowed labels (None: no restriction)."""
    params = _hnsw_params(max(ef, k))
    if bitmap is not None:
        params.sel = faiss.IDSelectorBitmap(bitmap)  # type: ignore[call-arg,arg-type]  # numpy overload
    scores, labels = index.search(queries, k, params=params)
    if bitmap is None:
        return scores, labels
    return _keep_first_allowed(scores, labels, bitmap, k)


def hnsw_search_filtered(
    index: faiss.Index,
    queries: np.ndarray,
    k: int,
    ef: int,
    bitmap: np.ndarray | None,
    banned: np.ndarray,
    dead_ratio: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Bitmap-selector HNSW search with a beam sized for the exclusions (what HnswGraph runs).

    With a selector, HNSW still walks banned nodes and they take slots in its efSearch-wide beam.
    When the query's own nearest neighbours are the banned ones (typical for "already seen" items),
    a fixed beam fills up with them: recall collapses while k results still come back. Hence:
    - few banned ids (k + |banned| <= 2 * beam): one pass with the beam widened to k + |banned|,
      enough even if every banned id is a top neighbour, for at most twice the normal cost;
    - many: one pass at the normal beam, then the banned vectors' exact scores tell how many of
      them outrank the k-th hit (i.e. crowded the beam); if that is over a quarter of the beam's
      slack, re-run with the beam widened by that count. Random exclusions rarely need the re-run.
    Tombstones (too many to score) are covered by growing the beam by 1 / (1 - dead_ratio).
    """
    beam = int(np.ceil(max(ef, k) / max(1.0 - dead_ratio, 0.5)))
    if k + banned.size <= 2 * beam:
        return hnsw_search_bitmap(index, queries, k, max(beam, k + int(banned.size)), bitmap)
    scores, labels = hnsw_search_bitmap(index, queries, k, beam, bitmap)
    banned_scores = queries @ index.reconstruct_batch(banned).T
    crowding = (banned_scores >= scores[:, -1:]).sum(axis=1)  # a short row's -inf counts them all
    redo = crowding > (beam - k) // 4
    if redo.any():
        wider = beam + int(crowding[redo].max())
        scores[redo], labels[redo] = hnsw_search_bitmap(index, queries[redo], k, wider, bitmap)
    return scores, labels


def hnsw_search_overfetch(
    index: faiss.Index, queries: np.ndarray, k: int, ef: int, bitmap: np.ndarray, n_banned: int
) -> tuple[np.ndarray, np.ndarray]:
    """Unfiltered HNSW search for k + n_banned hits, then drop the banned ones (benchmark comparison)."""
    fetch = min(k + n_banned, index.ntotal)
    scores, labels = index.search(queries, fetch, params=_hnsw_params(max(ef, fetch)))
    return _keep_first_allowed(scores, labels, bitmap, k)


def hnsw_search_batch_selector(
    index: faiss.Index, queries: np.ndarray, k: int, ef: int, banned: np.ndarray, bitmap: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """One HNSW pass with IDSelectorNot(IDSelectorBatch(banned)) (benchmark comparison).

    `bitmap` is only used for the safety post-filter.
    """
    inner = faiss.IDSelectorBatch(np.ascontiguousarray(banned, dtype=np.int64))
    params = _hnsw_params(max(ef, k))
    params.sel = faiss.IDSelectorNot(inner)
    scores, labels = index.search(queries, k, params=params)
    del inner  # referenced until here: IDSelectorNot does not own it
    return _keep_first_allowed(scores, labels, bitmap, k)
