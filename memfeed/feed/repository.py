"""The feed's own statements: the page cache's key inputs, in one round trip on the hot path.

(Item vectors come from `ItemRepository`, events from `EventRepository`: the feed reads through the
repositories of the domains that own those tables.)
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select

from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Event, Item, MemoryVersion


class PageInputs(NamedTuple):
    """What a user's cached page depends on in the database."""

    event_count: int
    newest_event: int | None
    memory_version: int | None
    catalog_changed: datetime | None


class FeedRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    def page_inputs(self, user_id: str) -> PageInputs:
        """The user's event count and newest event id (a new event, even a late one, or an erasure changes
        them), their memory version, and the catalog's last change: one query of indexed reads."""
        with self.database.engine.connect() as connection:
            count, newest, memories, catalog = connection.execute(
                select(
                    select(func.count()).where(Event.user_id == user_id).scalar_subquery(),
                    select(func.max(Event.id)).where(Event.user_id == user_id).scalar_subquery(),
                    select(MemoryVersion.version).where(MemoryVersion.user_id == user_id).scalar_subquery(),
                    select(func.max(Item.updated_at)).scalar_subquery(),
                )
            ).one()
        return PageInputs(count, newest, memories, catalog)
