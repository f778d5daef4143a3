"""The per-user serving view of memories: one compact float32 matrix plus parallel arrays and BM25
postings, in an LRU of users, so a search of a cached user touches no table but `memory_versions`.

A snapshot is labelled with the user's `memory_versions.version` read before its rows; a search reads the
current version (one primary-key lookup) and reloads on any difference, so a memory deleted or changed by
any process is never served from a stale copy. Snapshots are immutable; the cache swaps them under a lock.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from memfeed.memory.lexical import Bm25Index
from memfeed.memory.records import StoredMemory
from memfeed.memory.repository import MemoryTransaction

NO_EXPIRY = np.inf


def _json_key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def epoch(moment: datetime) -> float:
    return moment.timestamp()


@dataclass(frozen=True)
class UserMemories:
    """One user's memories at `version`: row i of every array is the same memory (newest first)."""

    version: int
    ids: list[str]
    texts: list[str]
    kinds: np.ndarray
    """object array of kind names (compared as a vectorized mask)"""
    sessions: np.ndarray
    """object array of session ids (None where absent)"""
    metadata: list[dict[str, Any]]
    hashes: list[str]
    matrix: np.ndarray
    """(n, dim) float32, rows L2-normalized"""
    created_at: list[datetime]
    occurred_at: list[datetime]
    occurred: np.ndarray
    expires: np.ndarray
    """float64 Unix seconds; expires is +inf for no expiry"""
    lexical: Bm25Index
    _metadata_index: dict[tuple[str, str], np.ndarray] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __len__(self) -> int:
        return len(self.ids)

    def rows_with(self, key: str, value: Any) -> np.ndarray:
        """Rows whose metadata[key] equals `value` as JSON (so 1 and true differ), from an index built on
        the first metadata filter over this snapshot."""
        if not self._metadata_index and len(self):
            index: dict[tuple[str, str], list[int]] = {}
            for row, meta in enumerate(self.metadata):
                for k, v in meta.items():
                    index.setdefault((k, _json_key(v)), []).append(row)
            built = {key: np.asarray(rows, dtype=np.int64) for key, rows in index.items()}
            self._metadata_index.update(built or {("", ""): np.zeros(0, dtype=np.int64)})
        return self._metadata_index.get((key, _json_key(value)), np.zeros(0, dtype=np.int64))

    def live(self, now: float) -> np.ndarray:
        return self.expires > now

    @classmethod
    def from_rows(cls, version: int, rows: Sequence[StoredMemory], matrix: np.ndarray) -> UserMemories:
        """From stored rows and their vectors (newest first)."""
        n = len(rows)
        kinds = np.empty(n, dtype=object)
        kinds[:] = [r.kind for r in rows]
        sessions = np.empty(n, dtype=object)
        sessions[:] = [r.session_id for r in rows]
        texts = [r.text for r in rows]
        return cls(
            version=version,
            ids=[r.memory_id for r in rows],
            texts=texts,
            kinds=kinds,
            sessions=sessions,
            metadata=[r.meta or {} for r in rows],
            hashes=[r.content_hash for r in rows],
            matrix=matrix,
            created_at=[r.created_at for r in rows],
            occurred_at=[r.occurred_at for r in rows],
            occurred=np.array([epoch(r.occurred_at) for r in rows], dtype=np.float64),
            expires=np.array(
                [epoch(r.expires_at) if r.expires_at else NO_EXPIRY for r in rows], dtype=np.float64
            ),
            lexical=Bm25Index.build(texts),
        )


def load_snapshot(
    tx: MemoryTransaction,
    user_id: str,
    embedder_id: str,
    dim: int,
    reembed: Callable[[list[str]], np.ndarray],
) -> UserMemories:
    """Read the version, then every memory row of the user (newest first), in the caller's transaction.

    Rows embedded by another model (the embedder changed) are re-embedded with `reembed` in one batch and
    written back, so a model change costs one pass per user, on first use.
    """
    version = tx.version(user_id)
    rows = tx.snapshot_rows(user_id)
    matrix = np.empty((len(rows), dim), dtype=np.float32)
    stale: list[int] = []
    for i, row in enumerate(rows):
        if row.embedder == embedder_id and len(row.vector) == 4 * dim:
            matrix[i] = np.frombuffer(row.vector, dtype=np.float32)
        else:
            stale.append(i)
    if stale:
        fresh = reembed([rows[i].text for i in stale])
        for i, vector in zip(stale, fresh, strict=True):
            matrix[i] = vector
        tx.store_vectors(
            {rows[i].memory_id: vector for i, vector in zip(stale, fresh, strict=True)}, embedder_id
        )
    return UserMemories.from_rows(version, rows, matrix)


class MemoryCache:
    """An LRU of `UserMemories` by user, bounded by `capacity` users. Thread-safe."""

    def __init__(self, capacity: int) -> None:
        self.capacity = max(capacity, 0)
        self._users: OrderedDict[str, UserMemories] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._users)

    def get(self, user_id: str, version: int) -> UserMemories | None:
        """The cached snapshot if it is at `version`; a stale one is dropped."""
        with self._lock:
            snapshot = self._users.get(user_id)
            if snapshot is None:
                return None
            if snapshot.version != version:
                del self._users[user_id]
                return None
            self._users.move_to_end(user_id)
            return snapshot

    def put(self, user_id: str, snapshot: UserMemories) -> None:
        if not self.capacity:
            return
        with self._lock:
            self._users[user_id] = snapshot
            self._users.move_to_end(user_id)
            while len(self._users) > self.capacity:
                self._users.popitem(last=False)

    def invalidate(self, user_id: str) -> None:
        with self._lock:
            self._users.pop(user_id, None)

    def clear(self) -> None:
        with self._lock:
            self._users.clear()
