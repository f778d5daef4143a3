"""A user's export: everything stored about them, with events read lazily a page at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from memfeed.events.records import EventRecord
from memfeed.events.repository import EventRepository
from memfeed.memory import MemoryRecord, MemoryService
from memfeed.platform.errors import UserNotFound
from memfeed.platform.storage.types import utcnow
from memfeed.privacy.repository import BOOKKEEPING, PrivacyRepository
from memfeed.users.repository import UserRepository

EXPORTED_APART = frozenset({"users", "events", "memories"})
"""Tables the export presents in their own sections (profile, events, memories with history)."""


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


class Exports:
    """Collect a user's export from the domains that hold their data."""

    def __init__(
        self,
        repository: PrivacyRepository,
        users: UserRepository,
        events: EventRepository,
        memories: MemoryService,
    ) -> None:
        self.repository = repository
        self.users = users
        self.events = events
        self.memories = memories

    def export(self, user_id: str) -> UserExport:
        """Profile, memories (expired but unpurged ones too, with history), other user-keyed rows, and events.

        One query per table (memories: two, with their revisions), then one per page of events.
        Raises UserNotFound when nothing at all is stored for the user.
        """
        user = self.users.get(user_id)
        other = self.repository.user_rows(user_id, skip=EXPORTED_APART | BOOKKEEPING)
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
