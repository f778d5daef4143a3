"""User profiles: set an app's traits for a user (the whole object, replaced)."""

from __future__ import annotations

from typing import Any

from memfeed.platform.storage.db import Database
from memfeed.platform.storage.types import utcnow
from memfeed.users.records import UserRecord
from memfeed.users.repository import UserRepository


class UserService:
    def __init__(self, database: Database) -> None:
        self.repository = UserRepository(database)

    def upsert(self, user_id: str, traits: dict[str, Any]) -> tuple[UserRecord, bool]:
        """Replace the user's traits (created_at kept, updated_at now); True when the profile is new."""
        return self.repository.upsert(user_id, traits, utcnow())

    def get(self, user_id: str) -> UserRecord | None:
        """The profile, or None when the user has none (events may exist without traits ever set)."""
        return self.repository.get(user_id)
