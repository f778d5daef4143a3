"""Every statement against `users` made for its own sake (ingest creates bare rows through EventRepository)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import User
from memfeed.users.records import UserRecord


def _record(user: User) -> UserRecord:
    return UserRecord(user.user_id, dict(user.traits or {}), user.created_at, user.updated_at)


class UserRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    def get(self, user_id: str) -> UserRecord | None:
        with self.database.session() as session:
            user = session.get(User, user_id)
            return _record(user) if user is not None else None

    def upsert(self, user_id: str, traits: dict[str, Any], now: datetime) -> tuple[UserRecord, bool]:
        """Replace the user's traits, creating the profile if absent; True when it was created."""
        with self.database.session() as session:
            user = session.get(User, user_id)
            created = user is None
            if user is None:
                user = User(user_id=user_id, created_at=now)
                session.add(user)
            user.traits = traits
            user.updated_at = now
            session.flush()
            return _record(user), created
