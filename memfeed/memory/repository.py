"""Memory rows: building, merging into, converting to records, and purging expired ones."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from memfeed.memory.dedup import restates
from memfeed.memory.records import MEMORY_ID_PREFIX, MemoryRecord, NewMemory, RevisionRecord
from memfeed.memory.snapshots import UserMemories
from memfeed.platform.storage.schema import Memory, MemoryRevision
from memfeed.platform.storage.types import utcnow


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


def revision(row: Memory, now: datetime, reason: str) -> MemoryRevision:
    """The row's current text, kind and metadata, kept before an `update` or a `merge` changes them."""
    return MemoryRevision(
        memory_id=row.memory_id,
        text=row.text,
        kind=row.kind,
        meta=dict(row.meta or {}),
        changed_at=now,
        reason=reason,
    )


def revision_record(rev: MemoryRevision) -> RevisionRecord:
    return RevisionRecord(rev.text, rev.kind, dict(rev.meta or {}), rev.changed_at, rev.reason)


def new_row(
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


def merge_into(
    row: Memory, memory: NewMemory, vector: np.ndarray, digest: str, embedder_id: str, now: datetime
) -> MemoryRevision:
    """Update `row` with a restatement: newer text and vector, later occurred_at, one more mention,
    metadata merged (new keys win), expiry from the new ttl when given. Returns the revision to store."""
    prior = revision(row, now, "merge")
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
    return prior


@dataclass
class Pending:
    """A memory written earlier in the same batch, so a batch dedups against itself too."""

    row: Memory
    vector: np.ndarray


def restated_target(
    snapshot: UserMemories,
    pending: list[Pending],
    memory: NewMemory,
    vector: np.ndarray,
    digest: str,
    threshold: float,
    now: datetime,
) -> str | Memory | None:
    """What `memory` restates among the user's live memories of the same session and kind (an id) or this
    batch's earlier rows (the row): the same normalized text first, else the closest that `restates`."""
    for item in pending:
        row = item.row
        if row.kind == memory.kind and row.session_id == memory.session_id:
            cosine = float(item.vector @ vector)
            if row.content_hash == digest or restates(memory.text, row.text, cosine, threshold):
                return row
    if not len(snapshot):
        return None
    scope = (
        snapshot.live(now.timestamp())
        & (snapshot.kinds == memory.kind)
        & (snapshot.sessions == memory.session_id)
    )
    candidates = np.flatnonzero(scope)
    for i in candidates:
        if snapshot.hashes[i] == digest:
            return snapshot.ids[i]
    if not len(candidates):
        return None
    cosines = snapshot.matrix[candidates] @ vector
    for j in np.argsort(-cosines):
        if cosines[j] < threshold:
            break
        best = int(candidates[j])
        if restates(memory.text, snapshot.texts[best], float(cosines[j]), threshold):
            return snapshot.ids[best]
    return None


def purge_expired_memories(session: Session, now: datetime | None = None) -> int:
    """Delete memories (and their history) whose expiry has passed; returns how many."""
    now = now or utcnow()
    expired = select(Memory.memory_id).where(Memory.expires_at <= now)
    session.execute(delete(MemoryRevision).where(MemoryRevision.memory_id.in_(expired)))
    result = session.execute(delete(Memory).where(Memory.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
