"""The memory service: add with dedup, read, list, update with history, delete, erase, purge, search.

Every write runs in one transaction that first bumps the user's `memory_versions` row (serializing writers
of one user and invalidating every process's cached copy), and drops this process's copy afterwards.
Reads of single memories and lists go to the database; searches use the cached per-user snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, func, insert, or_, select
from sqlalchemy.orm import Session

from memfeed.catalog.embedding import Embedder
from memfeed.events.repository import EventRepository
from memfeed.memory.activity import load_activity
from memfeed.memory.fusion import FusionParams
from memfeed.memory.normalize import text_hash
from memfeed.memory.paging import KeysetCodec
from memfeed.memory.records import (
    ACTIVITY_KIND,
    MAX_TTL_SECONDS,
    AddResult,
    MemoryPage,
    MemoryPatch,
    MemoryRecord,
    NewMemory,
    RevisionRecord,
    SearchHit,
    SearchMode,
    check_kind,
    check_text,
)
from memfeed.memory.repository import (
    Pending,
    merge_into,
    new_row,
    purge_expired_memories,
    record,
    restated_target,
    revision,
    revision_record,
)
from memfeed.memory.search import SearchFilters, search_user
from memfeed.memory.snapshots import MemoryCache, UserMemories, bump_version, current_version, load_user
from memfeed.platform.errors import InvalidInput, MemoryLimitReached, MemoryNotFound
from memfeed.platform.settings import Settings
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Memory, MemoryRevision
from memfeed.platform.storage.types import utcnow
from memfeed.platform.telemetry import Telemetry

MAX_K = 50
MAX_PAGE = 100
SEARCH_MODES = ("hybrid", "dense", "lexical")


def _check_ttl(ttl_seconds: int | None) -> None:
    if ttl_seconds is not None and not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidInput(f"ttl_seconds must be between 1 and {MAX_TTL_SECONDS}")


def _is_live(row: Memory, now: datetime) -> bool:
    return row.expires_at is None or row.expires_at > now


class MemoryStore:
    """Per-user memories. Thread-safe; one per process (the runtime's), sharing the process's embedder."""

    def __init__(
        self, database: Database, embedder: Embedder, settings: Settings, cursor_secret: bytes
    ) -> None:
        self.database = database
        self.events = EventRepository(database)
        self.embedder = embedder
        self.merge_threshold = settings.memory_merge_threshold
        self.fusion = FusionParams.from_settings(settings)
        self.activity_limit = settings.memory_activity_limit
        self.max_per_user = settings.memory_max_per_user
        self.embed_batch_size = max(settings.memory_embed_batch_size, 1)
        self.cache = MemoryCache(settings.memory_cache_users)
        self._never_written = UserMemories.from_rows(0, [], np.zeros((0, embedder.dim), dtype=np.float32))
        self.telemetry = Telemetry()
        self.cursors = KeysetCodec(cursor_secret)

    # --- writes ---------------------------------------------------------------------------------

    def add(self, user_id: str, memory: NewMemory, *, now: datetime | None = None) -> AddResult:
        """Store a memory, or merge it into the one it restates (same user, session and kind; live).

        Costs one embedding. A merge keeps the prior text as a `merge` revision and counts a mention.
        """
        return self.add_many([(user_id, memory)], now=now)[0]

    def add_many(
        self, entries: Sequence[tuple[str, NewMemory]], *, dedup: bool = True, now: datetime | None = None
    ) -> list[AddResult]:
        """Bulk add (`(user_id, memory)` pairs, any users), embedded `memory_embed_batch_size` at a time.

        With `dedup`, each entry is checked against the user's memories and the batch's earlier entries
        exactly as `add` does; without it, rows are inserted as they come (for loading benchmarks).
        """
        now = now or utcnow()
        checked = [(user_id, self._checked(memory)) for user_id, memory in entries]
        results: list[AddResult] = []
        for start in range(0, len(checked), self.embed_batch_size):
            chunk = checked[start : start + self.embed_batch_size]
            vectors = self.embedder.encode([memory.text for _, memory in chunk])
            by_user: dict[str, list[int]] = {}
            for i, (user_id, _) in enumerate(chunk):
                by_user.setdefault(user_id, []).append(i)
            chunk_results: dict[int, AddResult] = {}
            for user_id, positions in by_user.items():
                written = self._write(user_id, [(chunk[i][1], vectors[i]) for i in positions], dedup, now)
                chunk_results.update(zip(positions, written, strict=True))
            results.extend(chunk_results[i] for i in range(len(chunk)))
        return results

    def _checked(self, memory: NewMemory) -> NewMemory:
        _check_ttl(memory.ttl_seconds)
        if memory.metadata is not None and not isinstance(memory.metadata, dict):
            raise InvalidInput("metadata must be an object")
        return NewMemory(
            text=check_text(memory.text),
            kind=check_kind(memory.kind),
            session_id=memory.session_id,
            metadata=dict(memory.metadata or {}),
            ttl_seconds=memory.ttl_seconds,
            occurred_at=memory.occurred_at,
        )

    def _write(
        self, user_id: str, items: list[tuple[NewMemory, np.ndarray]], dedup: bool, now: datetime
    ) -> list[AddResult]:
        try:
            with self.database.session() as session:
                version = bump_version(session, user_id)
                if dedup:
                    snapshot = self.cache.get(user_id, version - 1) or self._load(session, user_id)
                    return self._write_dedup(session, user_id, snapshot, items, now)
                return self._insert_all(session, user_id, items, now)
        finally:
            self.cache.invalidate(user_id)

    def _write_dedup(
        self,
        session: Session,
        user_id: str,
        snapshot: UserMemories,
        items: list[tuple[NewMemory, np.ndarray]],
        now: datetime,
    ) -> list[AddResult]:
        live = int(snapshot.live(now.timestamp()).sum())
        pending: list[Pending] = []
        results: list[AddResult] = []
        for memory, vector in items:
            digest = text_hash(memory.text)
            target = restated_target(snapshot, pending, memory, vector, digest, self.merge_threshold, now)
            if target is None:
                if live + len(pending) >= self.max_per_user:
                    raise MemoryLimitReached(f"a user holds at most {self.max_per_user} memories")
                row = new_row(user_id, memory, vector, digest, self.embedder.embedder_id, now)
                session.add(row)
                pending.append(Pending(row, vector))
                results.append(AddResult(record(row), merged=False))
                continue
            existing = target if isinstance(target, Memory) else session.get(Memory, target)
            if existing is None:  # gone since the snapshot (cannot happen under the version lock)
                raise MemoryNotFound(f"memory {target!r} vanished during a write; retry")
            session.add(merge_into(existing, memory, vector, digest, self.embedder.embedder_id, now))
            results.append(AddResult(record(existing), merged=True))
        session.flush()
        return results

    def _insert_all(
        self, session: Session, user_id: str, items: list[tuple[NewMemory, np.ndarray]], now: datetime
    ) -> list[AddResult]:
        held = session.scalar(select(func.count()).select_from(Memory).where(Memory.user_id == user_id)) or 0
        if held + len(items) > self.max_per_user:
            raise MemoryLimitReached(f"a user holds at most {self.max_per_user} memories")
        embedder_id = self.embedder.embedder_id
        rows = [new_row(user_id, m, v, text_hash(m.text), embedder_id, now) for m, v in items]
        session.execute(
            insert(Memory),
            [{c.key: getattr(r, c.key) for c in Memory.__mapper__.column_attrs} for r in rows],
        )
        return [AddResult(record(r), merged=False) for r in rows]

    def update(
        self, user_id: str, memory_id: str, patch: MemoryPatch, *, now: datetime | None = None
    ) -> MemoryRecord:
        """Change text, kind, metadata (replaced whole) or ttl; the prior version is kept as an `update`
        revision. A new text is re-embedded (one encode). Only live memories can be changed."""
        now = now or utcnow()
        text = check_text(patch.text) if patch.text is not None else None
        kind = check_kind(patch.kind) if patch.kind is not None else None
        if patch.set_ttl:
            _check_ttl(patch.ttl_seconds)
        vector = self.embedder.encode_one(text) if text is not None else None
        try:
            with self.database.session() as session:
                bump_version(session, user_id)
                row = self._owned(session, user_id, memory_id, now)
                changes = (
                    (text is not None and text != row.text)
                    or (kind is not None and kind != row.kind)
                    or (patch.metadata is not None and patch.metadata != row.meta)
                )
                if changes:
                    session.add(revision(row, now, "update"))
                if text is not None and vector is not None:
                    row.text = text
                    row.content_hash = text_hash(text)
                    row.vector = vector.tobytes()
                    row.embedder = self.embedder.embedder_id
                if kind is not None:
                    row.kind = kind
                if patch.metadata is not None:
                    row.meta = dict(patch.metadata)
                if patch.set_ttl:
                    row.expires_at = now + timedelta(seconds=patch.ttl_seconds) if patch.ttl_seconds else None
                row.updated_at = now
                session.flush()
                return record(row, self._history(session, memory_id))
        finally:
            self.cache.invalidate(user_id)

    def delete(self, user_id: str, memory_id: str) -> None:
        """Remove a memory and its history (expired or not); another user's id is MemoryNotFound."""
        try:
            with self.database.session() as session:
                bump_version(session, user_id)
                row = session.get(Memory, memory_id)
                if row is None or row.user_id != user_id:
                    raise MemoryNotFound(f"memory {memory_id!r} not found")
                session.execute(delete(MemoryRevision).where(MemoryRevision.memory_id == memory_id))
                session.delete(row)
        finally:
            self.cache.invalidate(user_id)

    def erase_user(self, user_id: str) -> int:
        """Remove every memory of the user and its history; returns how many memories were removed."""
        try:
            with self.database.session() as session:
                bump_version(session, user_id)
                owned = select(Memory.memory_id).where(Memory.user_id == user_id)
                session.execute(delete(MemoryRevision).where(MemoryRevision.memory_id.in_(owned)))
                result = session.execute(delete(Memory).where(Memory.user_id == user_id))
                return int(getattr(result, "rowcount", 0) or 0)
        finally:
            self.cache.invalidate(user_id)

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete memories whose expiry has passed; returns the count. (They are never served even before:
        every read and search masks them by time, so no cache needs dropping.)"""
        with self.database.session() as session:
            return purge_expired_memories(session, now)

    # --- reads ----------------------------------------------------------------------------------

    def get(
        self, user_id: str, memory_id: str, *, with_history: bool = False, now: datetime | None = None
    ) -> MemoryRecord:
        now = now or utcnow()
        with self.database.session() as session:
            row = self._owned(session, user_id, memory_id, now)
            return record(row, self._history(session, memory_id) if with_history else None)

    def list_memories(
        self,
        user_id: str,
        *,
        kind: str | None = None,
        session_id: str | None = None,
        limit: int = 20,
        cursor: str | None = None,
        now: datetime | None = None,
    ) -> MemoryPage:
        """Live memories newest first (created_at, then memory_id, descending), keyset-paged."""
        now = now or utcnow()
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
        scope = json.dumps(["memories", user_id, kind, session_id])
        stmt = select(Memory).where(
            Memory.user_id == user_id, or_(Memory.expires_at.is_(None), Memory.expires_at > now)
        )
        if kind is not None:
            stmt = stmt.where(Memory.kind == kind)
        if session_id is not None:
            stmt = stmt.where(Memory.session_id == session_id)
        if cursor:
            created_at, last_id = self.cursors.decode(cursor, scope)
            stmt = stmt.where(
                or_(
                    Memory.created_at < created_at,
                    and_(Memory.created_at == created_at, Memory.memory_id < last_id),
                )
            )
        stmt = stmt.order_by(Memory.created_at.desc(), Memory.memory_id.desc()).limit(limit + 1)
        with self.database.session() as session:
            rows = list(session.scalars(stmt))
        page = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = page[-1]
            next_cursor = self.cursors.encode(scope, last.created_at, last.memory_id)
        return MemoryPage([record(r) for r in page], next_cursor)

    def memories_of(self, user_id: str) -> list[MemoryRecord]:
        """Everything stored for the user (expired but not yet purged too), with history: for export."""
        with self.database.session() as session:
            rows = list(
                session.scalars(
                    select(Memory)
                    .where(Memory.user_id == user_id)
                    .order_by(Memory.created_at.desc(), Memory.memory_id.desc())
                )
            )
            revisions: dict[str, list[RevisionRecord]] = {r.memory_id: [] for r in rows}
            for rev in session.scalars(
                select(MemoryRevision)
                .where(
                    MemoryRevision.memory_id.in_(select(Memory.memory_id).where(Memory.user_id == user_id))
                )
                .order_by(MemoryRevision.id)
            ):
                revisions[rev.memory_id].append(revision_record(rev))
            return [record(r, revisions[r.memory_id]) for r in rows]

    def search(
        self,
        user_id: str,
        query_text: str,
        query_vector: np.ndarray | None = None,
        *,
        k: int = 5,
        kind: str | None = None,
        session_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        metadata: dict[str, Any] | None = None,
        include_activity: bool = False,
        mode: SearchMode = "hybrid",
        now: datetime | None = None,
    ) -> list[SearchHit]:
        """The k (1-50) best live memories for the query, best first; with `include_activity`, the user's
        latest events compete too (memory_id None, kind "activity").

        Pass `query_vector` (normalized, from the same embedder) to skip the one query embedding. `mode`
        "dense" or "lexical" uses one side only. A cached user costs one primary-key read of the database
        (the version check) plus numpy over the user's rows; activity adds one query for its events.
        """
        now = now or utcnow()
        if not 1 <= k <= MAX_K:
            raise InvalidInput(f"k must be between 1 and {MAX_K}")
        if mode not in SEARCH_MODES:
            raise InvalidInput(f"mode must be one of {', '.join(SEARCH_MODES)}")
        if kind is not None and kind != ACTIVITY_KIND:
            check_kind(kind)
        if not query_text.strip() and query_vector is None:
            raise InvalidInput("the query must not be empty")
        filters = SearchFilters(kind, session_id, since, until, dict(metadata or {}))
        snapshot = self.snapshot(user_id)
        activity = None
        if include_activity and filters.allows_activity and self.activity_limit > 0:
            activity = load_activity(
                self.events, user_id, self.activity_limit, self.embedder.embedder_id, self.embedder.dim
            )
        if query_vector is None and mode != "lexical":
            query_vector = self.embedder.encode_one(query_text)
        if query_vector is not None:
            query_vector = np.asarray(query_vector, dtype=np.float32)
        return search_user(
            snapshot,
            activity,
            query_text,
            query_vector,
            k=k,
            filters=filters,
            mode=mode,
            params=self.fusion,
            now=now,
        )

    def snapshot(self, user_id: str) -> UserMemories:
        """The user's current snapshot: cached when its version is current (one primary-key read on a
        plain connection), else loaded and cached. Version 0 means the user never had a memory (every write
        bumps the version first): the empty snapshot, with no rows to read (the feed asks for every user)."""
        with self.database.engine.connect() as connection:
            version = current_version(connection, user_id)
        cached = self.cache.get(user_id, version) if version else self._never_written
        self.telemetry.count("cache_requests", cache="memory", result="hit" if cached is not None else "miss")
        if cached is not None:
            return cached
        with self.database.session() as session:
            snapshot = self._load(session, user_id)
        self.cache.put(user_id, snapshot)
        return snapshot

    # --- helpers --------------------------------------------------------------------------------

    def _load(self, session: Session, user_id: str) -> UserMemories:
        return load_user(session, user_id, self.embedder.embedder_id, self.embedder.dim, self._reembed)

    def _reembed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts)

    def _owned(self, session: Session, user_id: str, memory_id: str, now: datetime) -> Memory:
        row = session.get(Memory, memory_id)
        if row is None or row.user_id != user_id or not _is_live(row, now):
            raise MemoryNotFound(f"memory {memory_id!r} not found")
        return row

    def _history(self, session: Session, memory_id: str) -> list[RevisionRecord]:
        revisions = session.scalars(
            select(MemoryRevision).where(MemoryRevision.memory_id == memory_id).order_by(MemoryRevision.id)
        )
        return [revision_record(r) for r in revisions]


__all__ = ["MemoryStore", "purge_expired_memories"]
