"""The per-user serving view of memories: one compact float32 matrix plus parallel arrays and BM25
postings, in an LRU of users, so a search of a cached user touches no table but `memory_versions`.

A snapshot is labelled with the user's `memory_versions.version` read before its rows; a search reads the
current version (one primary-key lookup) and reloads on any difference, so a memory deleted or changed by
any process is never served from a stale copy. Snapshots are immutable; the cache swaps them under a lock.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from memfeed.memory.lexical import Bm25Index
from memfeed.platform.storage.schema import Memory, MemoryVersion

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
    def from_rows(cls, version: int, rows: Sequence[Any], matrix: np.ndarray) -> UserMemories:
        """From rows with the `MEMORY_COLUMNS` attributes and their vectors (newest first)."""
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


VERSION_QUERY = select(MemoryVersion.version).where(MemoryVersion.user_id == bindparam("user_id"))


def current_version(connection: Session | Connection, user_id: str) -> int:
    """The user's memory version (0 when the user never had one): the one read a cached search makes."""
    return connection.execute(VERSION_QUERY, {"user_id": user_id}).scalar() or 0


MEMORY_COLUMNS = (
    Memory.memory_id,
    Memory.text,
    Memory.kind,
    Memory.session_id,
    Memory.meta,
    Memory.content_hash,
    Memory.vector,
    Memory.embedder,
    Memory.created_at,
    Memory.occurred_at,
    Memory.expires_at,
)


def load_user(
    session: Session, user_id: str, embedder_id: str, dim: int, reembed: Callable[[list[str]], np.ndarray]
) -> UserMemories:
    """Read the version, then every memory row of the user (newest first), columns only (no ORM objects).

    Rows embedded by another model (the embedder changed) are re-embedded with `reembed` in one batch and
    written back, so a model change costs one pass per user, on first use.
    """
    version = current_version(session, user_id)
    rows = session.execute(
        select(*MEMORY_COLUMNS)
        .where(Memory.user_id == user_id)
        .order_by(Memory.created_at.desc(), Memory.memory_id.desc())
    ).all()
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
        session.execute(
            update(Memory),
            [
                {"memory_id": rows[i].memory_id, "vector": vector.tobytes(), "embedder": embedder_id}
                for i, vector in zip(stale, fresh, strict=True)
            ],
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


def bump_version(session: Session, user_id: str) -> int:
    """Advance the user's memory version inside the caller's write transaction and return the new value.

    Also the per-user write lock: the upsert holds the row until commit, so two writers of one user run one
    after the other and each sees the other's memories when it checks for duplicates.
    """
    dialect = session.get_bind().dialect.name
    insert_for: Any = {"postgresql": pg_insert, "sqlite": sqlite_insert}.get(dialect)
    if insert_for is None:
        raise RuntimeError(f"unsupported database dialect {dialect!r}")
    table: Any = MemoryVersion.__table__
    stmt = (
        insert_for(table)
        .values(user_id=user_id, version=secrets.randbits(60))
        .on_conflict_do_update(index_elements=["user_id"], set_={"version": table.c.version + 1})
        .returning(table.c.version)
    )
    return int(session.execute(stmt).scalar_one())
