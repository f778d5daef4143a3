"""The memory service: add with dedup, read, list, update with history, delete, erase, purge, search.

Every write runs in one transaction that first bumps the user's `memory_versions` row (serializing writers
of one user and invalidating every process's cached copy), and drops this process's copy afterwards.
Reads of single memories and lists go to the database; searches use the cached per-user snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import numpy as np

from memfeed.catalog.embedding import Embedder
from memfeed.events.repository import EventRepository
from memfeed.memory.activity import load_activity
from memfeed.memory.dedup import Pending, restated_target
from memfeed.memory.fusion import FusionParams
from memfeed.memory.normalize import text_hash
from memfeed.memory.paging import KeysetCodec
from memfeed.memory.records import (
    ACTIVITY_KIND,
    MAX_TTL_SECONDS,
    AddResult,
    ErasedMemories,
    MemoryPage,
    MemoryPatch,
    MemoryRecord,
    NewMemory,
    SearchHit,
    SearchMode,
    check_kind,
    check_text,
)
from memfeed.memory.repository import MemoryRepository, MemoryTransaction
from memfeed.memory.search import SearchFilters, search_user
from memfeed.memory.snapshots import MemoryCache, UserMemories, load_snapshot
from memfeed.platform.errors import InvalidInput, MemoryLimitReached, MemoryNotFound
from memfeed.platform.settings import Settings
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.types import utcnow
from memfeed.platform.telemetry import Telemetry

MAX_K = 50
MAX_PAGE = 100
SEARCH_MODES = ("hybrid", "dense", "lexical")


def _check_ttl(ttl_seconds: int | None) -> None:
    if ttl_seconds is not None and not 0 < ttl_seconds <= MAX_TTL_SECONDS:
        raise InvalidInput(f"ttl_seconds must be between 1 and {MAX_TTL_SECONDS}")


class MemoryService:
    """Per-user memories. Thread-safe; one per process, sharing the process's embedder."""

    def __init__(
        self,
        database: Database,
        embedder: Embedder,
        settings: Settings,
        cursor_secret: bytes,
        *,
        telemetry: Telemetry | None = None,
    ) -> None:
        self.repository = MemoryRepository(database)
        self.events = EventRepository(database)
        self.embedder = embedder
        self.merge_threshold = settings.memory_merge_threshold
        self.fusion = FusionParams.from_settings(settings)
        self.activity_limit = settings.memory_activity_limit
        self.max_per_user = settings.memory_max_per_user
        self.embed_batch_size = max(settings.memory_embed_batch_size, 1)
        self.cache = MemoryCache(settings.memory_cache_users)
        self._never_written = UserMemories.from_rows(0, [], np.zeros((0, embedder.dim), dtype=np.float32))
        self.telemetry = telemetry if telemetry is not None else Telemetry()
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
                items = [(chunk[i][1], vectors[i]) for i in positions]
                written = (
                    self._write_dedup(user_id, items, now) if dedup else self._insert_all(user_id, items, now)
                )
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

    @contextmanager
    def _writing(self, user_id: str) -> Iterator[tuple[MemoryTransaction, int]]:
        """A write transaction that first bumps the user's version (yielded, with the transaction), and
        drops this process's cached copy of the user afterwards, whatever happened."""
        try:
            with self.repository.transaction() as tx:
                yield tx, tx.bump_version(user_id)
        finally:
            self.cache.invalidate(user_id)

    def _write_dedup(
        self, user_id: str, items: list[tuple[NewMemory, np.ndarray]], now: datetime
    ) -> list[AddResult]:
        embedder_id = self.embedder.embedder_id
        with self._writing(user_id) as (tx, version):
            snapshot = self.cache.get(user_id, version - 1) or self._load(tx, user_id)
            live = int(snapshot.live(now.timestamp()).sum())
            pending: dict[str, Pending] = {}
            results: list[AddResult] = []
            for memory, vector in items:
                digest = text_hash(memory.text)
                target = restated_target(
                    snapshot, list(pending.values()), memory, vector, digest, self.merge_threshold, now
                )
                if target is None:
                    if live + len(pending) >= self.max_per_user:
                        raise MemoryLimitReached(f"a user holds at most {self.max_per_user} memories")
                    added = tx.add(user_id, memory, vector, digest, embedder_id, now)
                    pending[added.memory_id] = Pending(
                        added.memory_id, added.kind, added.session_id, added.text, digest, vector
                    )
                    results.append(AddResult(added, merged=False))
                    continue
                merged = tx.merge(target, memory, vector, digest, embedder_id, now)
                if merged is None:  # gone since the snapshot (cannot happen under the version lock)
                    raise MemoryNotFound(f"memory {target!r} vanished during a write; retry")
                if target in pending:
                    pending[target].text, pending[target].digest = merged.text, digest
                results.append(AddResult(merged, merged=True))
            tx.flush()
            return results

    def _insert_all(
        self, user_id: str, items: list[tuple[NewMemory, np.ndarray]], now: datetime
    ) -> list[AddResult]:
        with self._writing(user_id) as (tx, _):
            if tx.count(user_id) + len(items) > self.max_per_user:
                raise MemoryLimitReached(f"a user holds at most {self.max_per_user} memories")
            rows = [(m, v, text_hash(m.text)) for m, v in items]
            return [
                AddResult(r, merged=False)
                for r in tx.insert_all(user_id, rows, self.embedder.embedder_id, now)
            ]

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
        checked = MemoryPatch(text, kind, patch.metadata, patch.ttl_seconds, patch.set_ttl)
        embedded = None
        if text is not None:
            embedded = (self.embedder.encode_one(text), text_hash(text), self.embedder.embedder_id)
        with self._writing(user_id) as (tx, _):
            updated = tx.update(user_id, memory_id, checked, embedded, now)
            if updated is None:
                raise MemoryNotFound(f"memory {memory_id!r} not found")
            return updated

    def delete(self, user_id: str, memory_id: str) -> None:
        """Remove a memory and its history (expired or not); another user's id is MemoryNotFound."""
        with self._writing(user_id) as (tx, _):
            if not tx.delete(user_id, memory_id):
                raise MemoryNotFound(f"memory {memory_id!r} not found")

    def erase_user(self, user_id: str) -> ErasedMemories:
        """Remove every memory of the user and its history; returns how many of each were removed."""
        with self._writing(user_id) as (tx, _):
            memories, revisions = tx.erase_user(user_id)
            return ErasedMemories(memories, revisions)

    # --- reads ----------------------------------------------------------------------------------

    def get(
        self, user_id: str, memory_id: str, *, with_history: bool = False, now: datetime | None = None
    ) -> MemoryRecord:
        found = self.repository.live(user_id, memory_id, now or utcnow(), with_history=with_history)
        if found is None:
            raise MemoryNotFound(f"memory {memory_id!r} not found")
        return found

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
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
        scope = json.dumps(["memories", user_id, kind, session_id])
        after = self.cursors.decode(cursor, scope) if cursor else None
        rows = self.repository.live_page(
            user_id, kind=kind, session_id=session_id, after=after, limit=limit + 1, now=now or utcnow()
        )
        page = rows[:limit]
        next_cursor = None
        if len(rows) > limit:
            last = page[-1]
            next_cursor = self.cursors.encode(scope, last.created_at, last.memory_id)
        return MemoryPage(page, next_cursor)

    def memories_of(self, user_id: str) -> list[MemoryRecord]:
        """Everything stored for the user (expired but not yet purged too), with history: for export."""
        return self.repository.everything_of(user_id)

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
        version = self.repository.current_version(user_id)
        cached = self.cache.get(user_id, version) if version else self._never_written
        self.telemetry.count("cache_requests", cache="memory", result="hit" if cached is not None else "miss")
        if cached is not None:
            return cached
        with self.repository.transaction() as tx:
            snapshot = self._load(tx, user_id)
        self.cache.put(user_id, snapshot)
        return snapshot

    # --- helpers --------------------------------------------------------------------------------

    def _load(self, tx: MemoryTransaction, user_id: str) -> UserMemories:
        return load_snapshot(tx, user_id, self.embedder.embedder_id, self.embedder.dim, self._reembed)

    def _reembed(self, texts: list[str]) -> np.ndarray:
        return self.embedder.encode(texts)


__all__ = ["MAX_K", "MAX_PAGE", "MemoryService", "purge_expired_memories"]


def purge_expired_memories(database: Database, now: datetime | None = None) -> int:
    """Delete memories whose expiry has passed; returns the count. They are never served even before (every
    read and search masks them by time, so no cache needs dropping), and purging needs no embedder: a
    maintenance flow calls this without loading the model."""
    return MemoryRepository(database).purge_expired(now)
