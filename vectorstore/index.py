"""`VectorIndex`: string-keyed inner-product search, exact when small and HNSW when large."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import numpy as np

from .errors import IndexCorrupt
from .graph import HnswGraph
from .persist import MANIFEST, read_snapshot, write_snapshot
from .rwlock import RWLock
from .search import exact_topk
from .table import VectorTable

__all__ = ["VectorIndex"]

# Rebuild the graph once this share of its slots are tombstones: beyond it, dead nodes waste
# memory and search effort, and a rebuild costs less than carrying them.
_MAX_TOMBSTONE_RATIO = 0.2

Hits = list[tuple[str, float]]


def _too_dead(graph: HnswGraph) -> bool:
    return graph.tombstone_ratio_after(0, 0) > _MAX_TOMBSTONE_RATIO


def _as_keys(ids: Iterable[str] | str) -> Iterable[str]:
    """A bare str is one id, not an iterable of one-character ids (a classic caller slip)."""
    return (ids,) if isinstance(ids, str) else ids


def _as_matrix(values: np.ndarray, dim: int, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind not in "fiu":
        raise ValueError(f"{what} must be real numbers, got dtype {array.dtype}")
    if array.ndim != 2 or array.shape[1] != dim:
        raise ValueError(f"{what} must have shape (n, {dim}), got {array.shape}")
    with np.errstate(over="ignore"):  # overflow to inf is reported just below, as a ValueError
        array = np.ascontiguousarray(array, dtype=np.float32)
    if not np.isfinite(array).all():
        raise ValueError(f"{what} contain NaN or infinite values (after conversion to float32)")
    return array


class VectorIndex:
    """Thread-safe map of string id -> float32 vector with inner-product top-k search.

    All vectors live in a packed float32 table, which serves exact search while there are fewer than
    `hnsw_threshold` vectors: FAISS's scan with an IDSelectorBitmap straight over the table for single
    queries, a BLAS matmul for batches (each measured fastest for its case; neither keeps a copy).
    From the threshold on, an HNSW graph over the same vectors serves searches; it is built when an
    upsert crosses the threshold. Removed/replaced vectors are tombstoned in the graph and the graph
    is rebuilt when tombstones pass 20% (or dropped, returning to exact search, if the index has
    meanwhile shrunk below the threshold).

    Concurrency: searches share a read lock and run in parallel; mutations are serialised by a
    separate mutex and apply their changes under the write lock, so a search sees an upsert either
    entirely or not at all. Graph (re)builds run under the mutex only, outside the write lock, so
    searches keep being answered (exactly, when the old graph no longer matches) during a build;
    only incremental graph inserts for upserts in HNSW mode hold the write lock while FAISS works.
    """

    def __init__(
        self,
        dim: int,
        *,
        hnsw_threshold: int = 20_000,
        hnsw_m: int = 32,
        ef_construction: int = 200,
        ef_search: int = 128,
    ) -> None:
        for name, value, low in (
            ("dim", dim, 1),
            ("hnsw_threshold", hnsw_threshold, 1),
            ("hnsw_m", hnsw_m, 2),
            ("ef_construction", ef_construction, 1),
            ("ef_search", ef_search, 1),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
        self._dim = dim
        self._params = {
            "hnsw_threshold": hnsw_threshold,
            "hnsw_m": hnsw_m,
            "ef_construction": ef_construction,
            "ef_search": ef_search,
        }
        self._table = VectorTable(dim)
        self._graph: HnswGraph | None = None
        self._rw = RWLock()  # searches: read; applying a mutation: write
        self._mutate = threading.Lock()  # one mutator (or save) at a time, held across graph builds

    # ----------------------------------------------------------------- inspection
    @property
    def dim(self) -> int:
        return self._dim

    @property
    def kind(self) -> str:
        """Which structure serves searches now: "hnsw" (an up-to-date graph) or "flat" (exact)."""
        return "flat" if self._graph is None else "hnsw"

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, key: object) -> bool:
        with self._rw.read():
            return key in self._table

    def __repr__(self) -> str:
        return f"VectorIndex(dim={self._dim}, len={len(self)}, kind={self.kind!r})"

    def ids(self) -> list[str]:
        with self._rw.read():
            return list(self._table.keys)

    def get(self, key: str) -> np.ndarray | None:
        with self._rw.read():
            return self._table.get(key)

    def get_many(self, keys: Sequence[str]) -> tuple[list[str], np.ndarray]:
        with self._rw.read():
            return self._table.get_many(list(_as_keys(keys)))

    # ----------------------------------------------------------------- mutation
    def upsert(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Insert or replace; all-or-nothing for readers. Duplicate ids in one call: last wins."""
        keys = list(_as_keys(ids))
        for key in keys:
            if not isinstance(key, str):
                raise TypeError(f"ids must be str, got {type(key).__name__}")
        matrix = _as_matrix(vectors, self._dim, "vectors")
        if matrix.shape[0] != len(keys):
            raise ValueError(f"got {len(keys)} ids but {matrix.shape[0]} vectors")
        last = {key: pos for pos, key in enumerate(keys)}
        if len(last) != len(keys):
            keys = list(last)
            matrix = matrix[list(last.values())]
        if not keys:
            return
        with self._mutate:
            with self._rw.write():
                replaced = self._table.upsert(keys, matrix)
                graph = self._graph
                if graph is not None:
                    ratio = graph.tombstone_ratio_after(len(replaced), len(keys))
                    if ratio > _MAX_TOMBSTONE_RATIO:
                        self._graph = None  # stale until rebuilt; exact search answers meanwhile
                    else:
                        graph.add(keys, matrix)  # tombstones the replaced slots itself
            self._ensure_graph()

    def remove(self, ids: Iterable[str]) -> int:
        """Returns how many ids were present; unknown ids are ignored."""
        with self._mutate:
            with self._rw.write():
                removed = self._table.remove(_as_keys(ids))
                graph = self._graph
                if graph is not None and removed:
                    graph.kill(removed)
                    if _too_dead(graph) and len(self._table) < self._params["hnsw_threshold"]:
                        self._graph = None  # shrunk below the threshold: exact search, no rebuild
            graph = self._graph
            if graph is not None and _too_dead(graph):
                self._rebuild()  # the tombstoned graph stays correct, so it serves during the build
            return len(removed)

    def _ensure_graph(self) -> None:
        """Build the graph if the index is large enough and has none (also retries a failed build)."""
        if self._graph is None and len(self._table) >= self._params["hnsw_threshold"]:
            self._rebuild()

    def _rebuild(self) -> None:
        """Build a fresh graph from the table, then swap it in. Caller holds `_mutate`.

        The table cannot change while we hold `_mutate`, and searches only read it, so the build
        reads the live rows without copying and without blocking searches.
        """
        params = self._params
        graph = HnswGraph.build(
            list(self._table.keys), self._table.matrix, params["hnsw_m"], params["ef_construction"]
        )
        with self._rw.write():
            self._graph = graph

    # ----------------------------------------------------------------- search
    def search(self, query: np.ndarray, k: int, exclude: Collection[str] = ()) -> list[tuple[str, float]]:
        """Top-k ids by inner product, best first, never an excluded or removed id."""
        array = np.asarray(query)
        if array.ndim != 1:
            raise ValueError(f"query must have shape ({self._dim},), got {array.shape}")
        return self.search_many(array[None, :], k, exclude)[0]

    def search_many(
        self, queries: np.ndarray, k: int, exclude: Collection[str] = ()
    ) -> list[list[tuple[str, float]]]:
        """Batch search; one exclusion set for all queries. Exactly min(k, eligible) hits per query.

        HNSW mode filters with an IDSelectorBitmap (dead + excluded slots cleared) and widens the beam
        when excluded ids crowd it (see `search.hnsw_search_filtered`; bench/bench_index_exclusion.py
        compares it with over-fetching); queries that still come back short are answered exactly.
        """
        matrix = _as_matrix(queries, self._dim, "queries")
        if k <= 0 or matrix.shape[0] == 0:
            return [[] for _ in range(matrix.shape[0])]
        excluded = list(_as_keys(exclude))
        with self._rw.read():
            table, graph = self._table, self._graph
            if len(table) == 0:
                return [[] for _ in range(matrix.shape[0])]
            if graph is None:
                return self._exact(matrix, k, excluded)
            ef = self._params["ef_search"]
            scores, slots, short = graph.search(matrix, k, ef, graph.slots_for(excluded))
            keys = graph.slot_keys  # read under the lock: unfiltered slots are always live
            results: list[Hits] = [
                [(keys[s], d) for s, d in zip(row_slots, row_scores, strict=True) if s >= 0]  # type: ignore[misc]
                for row_slots, row_scores in zip(slots.tolist(), scores.tolist(), strict=True)
            ]
            if short.any():
                exact = iter(self._exact(matrix[short], k, excluded))
                results = [next(exact) if redo else hits for hits, redo in zip(results, short, strict=True)]
            return results

    def _exact(self, queries: np.ndarray, k: int, excluded: list[str]) -> list[Hits]:
        keys = self._table.keys
        scores, rows = exact_topk(self._table.matrix, queries, k, self._table.rows_for(excluded))
        return [
            [(keys[r], d) for r, d in zip(row_rows, row_scores, strict=True)]
            for row_rows, row_scores in zip(rows.tolist(), scores.tolist(), strict=True)
        ]

    # ----------------------------------------------------------------- persistence
    def save(self, directory: str | Path) -> str:
        """Snapshot to `directory`; returns the manifest's sha256 hex (a version tag for the snapshot).

        Holds only the mutation mutex: writers wait, searches do not (nothing they read can change).
        """
        with self._mutate:
            graph = self._graph
            return write_snapshot(
                directory,
                dim=self._dim,
                params=self._params,
                keys=self._table.keys,
                vectors=self._table.matrix,
                graph=None if graph is None else graph.index,
                graph_keys=None if graph is None else graph.slot_keys,
            )

    @classmethod
    def load(cls, directory: str | Path) -> VectorIndex:
        """Verify every file's checksum, then rebuild the index (the graph is reused when saved)."""
        snap = read_snapshot(directory)
        try:
            index = cls(snap.dim, **snap.params)
        except (TypeError, ValueError) as exc:
            raise IndexCorrupt(
                f"{MANIFEST}: unusable dim/params in saved index at {directory}: {exc}"
            ) from exc
        index._table = VectorTable.from_arrays(snap.dim, snap.keys, snap.vectors)
        if snap.graph is not None and snap.graph_keys is not None:
            index._graph = HnswGraph(snap.graph, snap.graph_keys)
        with index._mutate:
            index._ensure_graph()  # saved mid-build (flat but over the threshold): build now
        return index
