"""HNSW graph with tombstones, serving approximate search for large indexes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import faiss
import numpy as np

from .search import allowed_bitmap, hnsw_search_filtered

__all__ = ["HnswGraph"]

# Inserts smaller than this run with one OpenMP thread. Measured on 2 cores with other work running:
# inserting 1000 vectors took 0.94 s with 2 OpenMP threads (spin-waiting for a descheduled peer) vs
# 0.03 s with 1. Our own search threads are exactly such "other work". Large builds stay parallel.
_PARALLEL_MIN_VECTORS = 2_000


@contextmanager
def _omp_threads_for(n_vectors: int) -> Iterator[None]:
    """Single-threaded FAISS for small inserts; omp_set_num_threads only affects the calling thread."""
    if n_vectors >= _PARALLEL_MIN_VECTORS:
        yield
        return
    previous = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(previous)


class HnswGraph:
    """FAISS IndexHNSWFlat (inner product) plus the bookkeeping FAISS lacks: ids and deletion.

    Our int64 id for a vector is its HNSW slot (insertion position). FAISS HNSW never deletes, so
    slots are stable and an IndexIDMap would only add a translation layer; `slot_keys` is the
    int64 -> string map. Removed or replaced vectors become tombstones: their slot stays in the graph
    (still useful for navigation) but its bit is cleared in `alive`, a packed bitmap handed straight
    to FAISS as an IDSelectorBitmap so dead slots are never returned. The owner rebuilds the graph
    once `tombstone_ratio_after` says tombstones have grown past its limit.
    Not thread-safe by itself: searches may run concurrently, but never alongside a mutation.
    """

    def __init__(self, index: faiss.Index, slot_keys: list[str | None]) -> None:
        if index.ntotal != len(slot_keys):
            raise ValueError(f"graph holds {index.ntotal} vectors but {len(slot_keys)} slot ids were given")
        self.index = index
        self._slot_keys = slot_keys
        self._slot_of = {key: slot for slot, key in enumerate(slot_keys) if key is not None}
        if len(self._slot_of) != sum(key is not None for key in slot_keys):
            raise ValueError("a live id appears in more than one graph slot")
        alive = np.array([key is not None for key in slot_keys], dtype=bool)
        self._alive = np.packbits(alive, bitorder="little")
        self._dead = len(slot_keys) - len(self._slot_of)

    @classmethod
    def build(cls, keys: Sequence[str], vectors: np.ndarray, m: int, ef_construction: int) -> HnswGraph:
        """Fresh graph whose slots are `vectors` rows, i.e. slot i holds keys[i]."""
        index = faiss.IndexHNSWFlat(vectors.shape[1], m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = ef_construction
        if len(keys):
            with _omp_threads_for(len(keys)):
                index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, list(keys))

    @property
    def ntotal(self) -> int:
        """Slots in the structure, tombstones included."""
        return len(self._slot_keys)

    @property
    def n_live(self) -> int:
        return len(self._slot_of)

    @property
    def slot_keys(self) -> list[str | None]:
        """Slot -> id (None for tombstones); the live list, copy before handing out."""
        return self._slot_keys

    def tombstone_ratio_after(self, extra_dead: int, extra_slots: int) -> float:
        """Tombstone share the graph would have after a change, so callers decide before applying it."""
        total = self.ntotal + extra_slots
        return (self._dead + extra_dead) / total if total else 0.0

    def slots_for(self, keys: Iterable[str]) -> np.ndarray:
        """Live slots of the known keys (unknown ids ignored, duplicates collapsed)."""
        slot_of = self._slot_of
        slots = {slot_of[k] for k in keys if k in slot_of}
        return np.fromiter(slots, dtype=np.int64, count=len(slots))

    def key(self, slot: int) -> str | None:
        return self._slot_keys[slot]

    def add(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Append vectors; any key already live is tombstoned first so each id has one live slot."""
        if not len(keys):
            return
        self.kill(keys)
        start = self.ntotal
        with _omp_threads_for(len(keys)):
            self.index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._slot_keys.extend(keys)
        for offset, key in enumerate(keys):
            self._slot_of[key] = start + offset
        needed = (self.ntotal + 7) // 8
        if needed > self._alive.size:
            grown = np.zeros(max(needed, 2 * self._alive.size), dtype=np.uint8)
            grown[: self._alive.size] = self._alive
            self._alive = grown
        slots = np.arange(start, self.ntotal, dtype=np.int64)
        np.bitwise_or.at(self._alive, slots >> 3, np.left_shift(1, slots & 7).astype(np.uint8))

    def kill(self, keys: Iterable[str]) -> int:
        """Tombstone the live slots of `keys`; returns how many were live."""
        slots = [slot for slot in (self._slot_of.pop(k, None) for k in keys) if slot is not None]
        if not slots:
            return 0
        for slot in slots:
            self._slot_keys[slot] = None
        self._alive = allowed_bitmap(self._alive, np.asarray(slots, dtype=np.int64))
        self._dead += len(slots)
        return len(slots)

    def search(
        self, queries: np.ndarray, k: int, ef: int, banned_slots: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Filtered search: returns (scores, slots, short) with -1 padding.

        `short[i]` marks queries that still got fewer than min(k, eligible) hits after the adaptive
        beam widening (the filter can disconnect HNSW's walk); the caller answers those exactly.
        """
        eligible = self.n_live - int(banned_slots.size)
        kk = max(0, min(k, eligible))
        nq = queries.shape[0]
        if kk == 0:
            empty = np.empty((nq, 0))
            return empty.astype(np.float32), empty.astype(np.int64), np.zeros(nq, dtype=bool)
        if self._dead == 0 and banned_slots.size == 0:
            bitmap = None
        elif banned_slots.size == 0:
            bitmap = self._alive  # read-only use; writers are excluded while we search
        else:
            bitmap = allowed_bitmap(self._alive, banned_slots)
        dead_ratio = self._dead / self.ntotal
        scores, slots = hnsw_search_filtered(self.index, queries, kk, ef, bitmap, banned_slots, dead_ratio)
        short = (slots >= 0).sum(axis=1) < kk
        return scores, slots, short
