"""Every statement against `memories`, `memory_revisions` and `memory_versions`.

Reads that stand alone (a version check, a page, one memory, an export, the purge) open their own session
or connection. Writes go through a `MemoryTransaction`: the service opens one, bumps the user's version
first (the per-user write lock), then inserts, merges, updates or deletes in the same transaction.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import and_, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from memfeed.memory.records import (
    MEMORY_ID_PREFIX,
    MemoryPatch,
    MemoryRecord,
    NewMemory,
    RevisionRecord,
    StoredMemory,
)
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Memory, MemoryRevision, MemoryVersion
from memfeed.platform.storage.types import utcnow

VERSION_QUERY = select(MemoryVersion.version).where(MemoryVersion.user_id == bindparam("user_id"))
SNAPSHOT_COLUMNS = tuple(getattr(Memory, name) for name in StoredMemory._fields)
NEWEST_FIRST = (Memory.created_at.desc(), Memory.memory_id.desc())


# --- rows and records ---------------------------------------------------------------------------


def new_memory_id() -> str:
    return MEMORY_ID_PREFIX + uuid.uuid4().hex


def record(row: Memory, history: list[RevisionRecord] | None = None) -> MemoryRecord:
    return MemoryRecord(
        memory_id=row.memory_id,
        user_id=row.user_id,
        text=row.text,
        kind=row.kind,
        session_id=row.session_id,
        metadata=dict(row.meta or {}),
        created_at=row.created_at,
        updated_at=row.updated_at,
        occurred_at=row.occurred_at,
        expires_at=row.expires_at,
        mentions=row.mentions,
        history=history,
    )


def revision_record(rev: MemoryRevision) -> RevisionRecord:
    return RevisionRecord(rev.text, rev.kind, dict(rev.meta or {}), rev.changed_at, rev.reason)


def _revision(row: Memory, now: datetime, reason: str) -> MemoryRevision:
    """The row's current text, kind and metadata, kept before an `update` or a `merge` changes them."""
    return MemoryRevision(
        memory_id=row.memory_id,
        text=row.text,
        kind=row.kind,
        meta=dict(row.meta or {}),
        changed_at=now,
        reason=reason,
    )


def _new_row(
    user_id: str, memory: NewMemory, vector: np.ndarray, digest: str, embedder_id: str, now: datetime
) -> Memory:
    return Memory(
        memory_id=new_memory_id(),
        user_id=user_id,
        session_id=memory.session_id,
        kind=memory.kind,
        text=memory.text,
        meta=dict(memory.metadata),
        content_hash=digest,
        vector=np.asarray(vector, dtype=np.float32).tobytes(),
        embedder=embedder_id,
        mentions=1,
        created_at=now,
        updated_at=now,
        occurred_at=memory.occurred_at or now,
        expires_at=now + timedelta(seconds=memory.ttl_seconds) if memory.ttl_seconds else None,
    )


def _is_live(row: Memory, now: datetime) -> bool:
    return row.expires_at is None or row.expires_at > now


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def bump_version(session: Session, user_id: str) -> int:
    """Advance the user's memory version inside the caller's write transaction and return the new value.

    Also the per-user write lock: the upsert holds the row until commit, so two writers of one user run one
    after the other and each sees the other's memories when it checks for duplicates. Any code writing
    `memories` outside `MemoryService` must call it too.
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


# --- one transaction ----------------------------------------------------------------------------


class MemoryTransaction:
    """Statements run in one transaction (committed when the `MemoryRepository.transaction` block ends)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._added: dict[str, Memory] = {}
        """Rows inserted in this transaction, so a batch can merge into its own earlier rows."""

    def bump_version(self, user_id: str) -> int:
        return bump_version(self.session, user_id)

    def version(self, user_id: str) -> int:
        """The user's memory version (0 when the user never had one)."""
        return self.session.execute(VERSION_QUERY, {"user_id": user_id}).scalar() or 0

    def snapshot_rows(self, user_id: str) -> list[StoredMemory]:
        """Every memory row of the user (expired ones too), newest first, columns only."""
        rows = self.session.execute(
            select(*SNAPSHOT_COLUMNS).where(Memory.user_id == user_id).order_by(*NEWEST_FIRST)
        ).all()
        return [StoredMemory._make(r) for r in rows]

    def store_vectors(self, vectors: dict[str, np.ndarray], embedder_id: str) -> None:
        """Replace the vectors of these memories (re-embedded after an embedder change)."""
        self.session.execute(
            update(Memory),
            [
                {"memory_id": memory_id, "vector": vector.tobytes(), "embedder": embedder_id}
                for memory_id, vector in vectors.items()
            ],
        )

    def count(self, user_id: str) -> int:
        """The user's stored memories, expired but unpurged ones included."""
        stmt = select(func.count()).select_from(Memory).where(Memory.user_id == user_id)
        return self.session.scalar(stmt) or 0

    def add(
        self,
        user_id: str,
        memory: NewMemory,
        vector: np.ndarray,
        digest: str,
        embedder_id: str,
        now: datetime,
    ) -> MemoryRecord:
        """Queue one new row (flushed by `flush` or at commit)."""
        row = _new_row(user_id, memory, vector, digest, embedder_id, now)
        self.session.add(row)
        self._added[row.memory_id] = row
        return record(row)

    def insert_all(
        self,
        user_id: str,
        items: list[tuple[NewMemory, np.ndarray, str]],
        embedder_id: str,
        now: datetime,
    ) -> list[MemoryRecord]:
        """One bulk INSERT of (memory, vector, content hash) rows, with no dedup."""
        rows = [_new_row(user_id, m, v, digest, embedder_id, now) for m, v, digest in items]
        self.session.execute(
            insert(Memory),
            [{c.key: getattr(r, c.key) for c in Memory.__mapper__.column_attrs} for r in rows],
        )
        return [record(r) for r in rows]

    def merge(
        self,
        memory_id: str,
        memory: NewMemory,
        vector: np.ndarray,
        digest: str,
        embedder_id: str,
        now: datetime,
    ) -> MemoryRecord | None:
        """Fold a restatement into the stored memory: newer text and vector, later occurred_at, one more
        mention, metadata merged (new keys win), expiry from the new ttl when given; the prior text is kept
        as a `merge` revision. None when the memory is gone."""
        row = self._added.get(memory_id) or self.session.get(Memory, memory_id)
        if row is None:
            return None
        self.session.add(_revision(row, now, "merge"))
        row.text = memory.text
        row.content_hash = digest
        row.vector = np.asarray(vector, dtype=np.float32).tobytes()
        row.embedder = embedder_id
        row.meta = {**(row.meta or {}), **memory.metadata}
        row.mentions += 1
        row.updated_at = now
        row.occurred_at = max(row.occurred_at, memory.occurred_at or now)
        if memory.ttl_seconds:
            row.expires_at = now + timedelta(seconds=memory.ttl_seconds)
        return record(row)

    def update(
        self,
        user_id: str,
        memory_id: str,
        patch: MemoryPatch,
        embedded: tuple[np.ndarray, str, str] | None,
        now: datetime,
    ) -> MemoryRecord | None:
        """Apply a checked patch to the user's live memory, keeping the prior text, kind and metadata as an
        `update` revision when any of them changes. `embedded` is the new text's (vector, content hash,
        embedder id). Returns the memory with its history; None when the user holds no such live memory."""
        row = self._live(user_id, memory_id, now)
        if row is None:
            return None
        if (
            (patch.text is not None and patch.text != row.text)
            or (patch.kind is not None and patch.kind != row.kind)
            or (patch.metadata is not None and patch.metadata != row.meta)
        ):
            self.session.add(_revision(row, now, "update"))
        if patch.text is not None and embedded is not None:
            vector, digest, embedder_id = embedded
            row.text = patch.text
            row.content_hash = digest
            row.vector = vector.tobytes()
            row.embedder = embedder_id
        if patch.kind is not None:
            row.kind = patch.kind
        if patch.metadata is not None:
            row.meta = dict(patch.metadata)
        if patch.set_ttl:
            row.expires_at = now + timedelta(seconds=patch.ttl_seconds) if patch.ttl_seconds else None
        row.updated_at = now
        self.session.flush()
        return record(row, self.history(memory_id))

    def delete(self, user_id: str, memory_id: str) -> bool:
        """Remove the user's memory (expired or not) and its history; False when they hold no such id."""
        row = self.session.get(Memory, memory_id)
        if row is None or row.user_id != user_id:
            return False
        self.session.execute(delete(MemoryRevision).where(MemoryRevision.memory_id == memory_id))
        self.session.delete(row)
        return True

    def erase_user(self, user_id: str) -> tuple[int, int]:
        """Remove every memory of the user and its history; returns (memories, revisions) removed."""
        owned = select(Memory.memory_id).where(Memory.user_id == user_id)
        revisions = self.session.execute(delete(MemoryRevision).where(MemoryRevision.memory_id.in_(owned)))
        memories = self.session.execute(delete(Memory).where(Memory.user_id == user_id))
        return _rowcount(memories), _rowcount(revisions)

    def live(self, user_id: str, memory_id: str, now: datetime, *, with_history: bool) -> MemoryRecord | None:
        row = self._live(user_id, memory_id, now)
        if row is None:
            return None
        return record(row, self.history(memory_id) if with_history else None)

    def history(self, memory_id: str) -> list[RevisionRecord]:
        """The memory's revisions, oldest first."""
        revisions = self.session.scalars(
            select(MemoryRevision).where(MemoryRevision.memory_id == memory_id).order_by(MemoryRevision.id)
        )
        return [revision_record(r) for r in revisions]

    def flush(self) -> None:
        self.session.flush()

    def _live(self, user_id: str, memory_id: str, now: datetime) -> Memory | None:
        row = self.session.get(Memory, memory_id)
        if row is None or row.user_id != user_id or not _is_live(row, now):
            return None
        return row


# --- the repository -----------------------------------------------------------------------------


class MemoryRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    @contextmanager
    def transaction(self) -> Iterator[MemoryTransaction]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.database.session() as session:
            yield MemoryTransaction(session)

    def current_version(self, user_id: str) -> int:
        """The user's memory version on a plain connection: the one read a cached search makes."""
        with self.database.engine.connect() as connection:
            return connection.execute(VERSION_QUERY, {"user_id": user_id}).scalar() or 0

    def live(
        self, user_id: str, memory_id: str, now: datetime, *, with_history: bool = False
    ) -> MemoryRecord | None:
        with self.transaction() as tx:
            return tx.live(user_id, memory_id, now, with_history=with_history)

    def live_page(
        self,
        user_id: str,
        *,
        kind: str | None,
        session_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
        now: datetime,
    ) -> list[MemoryRecord]:
        """Up to `limit` live memories newest first (created_at, then memory_id, descending), strictly after
        the keyset `after` (the last (created_at, memory_id) served)."""
        stmt = select(Memory).where(
            Memory.user_id == user_id, or_(Memory.expires_at.is_(None), Memory.expires_at > now)
        )
        if kind is not None:
            stmt = stmt.where(Memory.kind == kind)
        if session_id is not None:
            stmt = stmt.where(Memory.session_id == session_id)
        if after is not None:
            created_at, last_id = after
            stmt = stmt.where(
                or_(
                    Memory.created_at < created_at,
                    and_(Memory.created_at == created_at, Memory.memory_id < last_id),
                )
            )
        stmt = stmt.order_by(*NEWEST_FIRST).limit(limit)
        with self.database.session() as session:
            return [record(r) for r in session.scalars(stmt)]

    def everything_of(self, user_id: str) -> list[MemoryRecord]:
        """Every memory of the user (expired but unpurged too), newest first, each with its history."""
        with self.database.session() as session:
            rows = list(
                session.scalars(select(Memory).where(Memory.user_id == user_id).order_by(*NEWEST_FIRST))
            )
            revisions: dict[str, list[RevisionRecord]] = {r.memory_id: [] for r in rows}
            owned = select(Memory.memory_id).where(Memory.user_id == user_id)
            for rev in session.scalars(
                select(MemoryRevision).where(MemoryRevision.memory_id.in_(owned)).order_by(MemoryRevision.id)
            ):
                revisions[rev.memory_id].append(revision_record(rev))
            return [record(r, revisions[r.memory_id]) for r in rows]

    def purge_expired(self, now: datetime | None = None) -> int:
        """Delete memories (and their history) whose expiry has passed; returns how many."""
        now = now or utcnow()
        expired = select(Memory.memory_id).where(Memory.expires_at <= now)
        with self.database.session() as session:
            session.execute(delete(MemoryRevision).where(MemoryRevision.memory_id.in_(expired)))
            return _rowcount(session.execute(delete(Memory).where(Memory.expires_at <= now)))
