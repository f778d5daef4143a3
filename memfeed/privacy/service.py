"""A user's rights over their data: export everything stored about them, and erase it.

Erasure deletes the user's memories (through `MemoryStore.erase_user`, which also drops the process's cached
copy), then, in one transaction, every row of every table with a `user_id` column (found from the schema, so
a table added later is erased without anyone remembering to) and writes an `erasures` audit row: when, which
key and scope asked, rows removed per kind, and an HMAC of the user id (never the id, nor a plain hash).

Trained models hold a factor row per user. The erasing process drops it from the model it serves at once.
The `erasures` digests are the durable suppression list: every model is filtered against them before it
serves (a promote, a rollback, a worker starting), and each serving model picks up erasures made through
other processes at the model watcher's next poll. Meanwhile the feed serves stored factors only to a user who
still has events, so an erased user's row is never used even by a worker that has not dropped it yet. The
artifacts on disk keep the row until the version is purged; a retrain after the erasure cannot include the
user (their events are gone).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, select

from memfeed.events.records import EventRecord
from memfeed.events.repository import EventRepository
from memfeed.feed.service import FeedService
from memfeed.memory import MemoryRecord, MemoryStore
from memfeed.model.bundle import ServingModel
from memfeed.platform.errors import UserNotFound
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Base, Erasure, Memory, MemoryRevision, User
from memfeed.platform.storage.types import utcnow

USER_COLUMN = "user_id"
EXPORTED_APART = frozenset({"users", "events", "memories"})
"""Tables the export presents in their own sections (profile, events, memories with history)."""
BOOKKEEPING = frozenset({"memory_versions"})
"""Per-user rows that say nothing about the person (a random cache counter): erased, not exported or counted."""


@dataclass(frozen=True)
class ProfileRecord:
    traits: dict[str, Any]
    created_at: datetime
    updated_at: datetime


@dataclass
class UserExport:
    """Everything stored about one user. `event_pages` is lazy: events are read a page at a time (oldest
    first, keyset on the (user_id, ts) index) as the caller iterates, so a long history is never held whole."""

    user_id: str
    exported_at: datetime
    profile: ProfileRecord | None
    memories: list[MemoryRecord]
    other: dict[str, list[dict[str, Any]]]
    event_pages: Iterator[list[EventRecord]]


@dataclass(frozen=True)
class ErasureReport:
    removed: dict[str, int] = field(default_factory=dict)
    """Rows removed per kind: table names, plus `model_users` (stored factors dropped from the serving model)."""

    @property
    def total(self) -> int:
        return sum(self.removed.values())


def user_tables() -> list[Table]:
    """Every table of the schema with a `user_id` column, children before parents."""
    return [t for t in reversed(Base.metadata.sorted_tables) if USER_COLUMN in t.c]


def _plain(value: Any) -> Any:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


class PrivacyService:
    """Export and erasure of one user's data, and the suppression of erased users in loaded models."""

    def __init__(
        self, database: Database, memories: MemoryStore, feeds: FeedService, server_secret: bytes
    ) -> None:
        self.database = database
        self.events = EventRepository(database)
        self.memories = memories
        self.feeds = feeds
        self._digest_key = hashlib.sha256(b"memfeed-erasure\x00" + server_secret).digest()

    def subject_digest(self, user_id: str) -> str:
        """HMAC-SHA256 of the user id (hex) under a key derived from the server secret."""
        return hmac.digest(self._digest_key, user_id.encode(), "sha256").hex()

    # --- export ---------------------------------------------------------------------------------

    def export(self, user_id: str) -> UserExport:
        """Profile, memories (expired but unpurged ones too, with history), other user-keyed rows, and events.

        One query per table (memories: two, with their revisions), then one per page of events.
        Raises UserNotFound when nothing at all is stored for the user.
        """
        with self.database.session() as session:
            user = session.get(User, user_id)
            other = {
                table.name: [
                    {key: _plain(value) for key, value in row.items()}
                    for row in session.execute(
                        select(table).where(table.c[USER_COLUMN] == user_id)
                    ).mappings()
                ]
                for table in user_tables()
                if table.name not in EXPORTED_APART | BOOKKEEPING
            }
        has_events = self.events.has_events(user_id)
        memories = self.memories.memories_of(user_id)
        if user is None and not has_events and not memories and not any(other.values()):
            raise UserNotFound(f"nothing is stored for user {user_id!r}")
        profile = ProfileRecord(user.traits, user.created_at, user.updated_at) if user is not None else None
        return UserExport(
            user_id=user_id,
            exported_at=utcnow(),
            profile=profile,
            memories=memories,
            other={name: rows for name, rows in other.items() if rows},
            event_pages=self.events.export_pages(user_id) if has_events else iter(()),
        )

    # --- erasure --------------------------------------------------------------------------------

    def erase(self, user_id: str, *, key_id: str, scope: str) -> ErasureReport:
        """Remove everything stored about the user and log the erasure; idempotent (an unknown user is
        erased too, with zero counts).

        Memories go first, in their store's own transaction; the other tables and the audit row commit
        together after. Should the second step fail, repeating the call finishes the job. Events the client
        sends for the user after this create a new profile: the client must stop sending first.
        """
        with self.database.session() as session:
            owned = select(Memory.memory_id).where(Memory.user_id == user_id)
            revisions = session.scalar(
                select(func.count()).select_from(MemoryRevision).where(MemoryRevision.memory_id.in_(owned))
            )
        removed = {"memories": self.memories.erase_user(user_id), "memory_revisions": int(revisions or 0)}
        with self.database.session() as session:
            for table in user_tables():
                result = session.execute(delete(table).where(table.c[USER_COLUMN] == user_id))
                if table.name not in BOOKKEEPING:
                    count = int(getattr(result, "rowcount", 0) or 0)
                    removed[table.name] = removed.get(table.name, 0) + count
            model = self.feeds.model
            removed["model_users"] = model.factors.forget_users([user_id]) if model is not None else 0
            session.add(
                Erasure(
                    erased_at=utcnow(),
                    key_id=key_id[:32],
                    scope=scope[:16],
                    removed=removed,
                    subject_digest=self.subject_digest(user_id),
                )
            )
        return ErasureReport(removed)

    def suppress(self, model: ServingModel) -> int:
        """Drop from `model` the stored factors of every user erased since it last looked (all erasures, for
        a model just loaded); returns how many rows went.

        Costs one primary-key range query; when there are new erasures, one HMAC per user of the model
        (about a second per million users).
        """
        with self.database.session() as session:
            rows = session.execute(
                select(Erasure.id, Erasure.subject_digest)
                .where(Erasure.id > model.erasures_applied)
                .order_by(Erasure.id)
            ).all()
        if not rows:
            return 0
        digests = {r.subject_digest for r in rows}
        erased = [u for u in list(model.factors.user_index) if self.subject_digest(u) in digests]
        forgotten = model.factors.forget_users(erased)
        model.erasures_applied = rows[-1].id
        return forgotten


__all__ = [
    "ErasureReport",
    "EventRecord",
    "PrivacyService",
    "ProfileRecord",
    "UserExport",
    "user_tables",
]
