"""Relational storage: schema, engine and session handling (SQLite by default, PostgreSQL by URL)."""

from memfeed.platform.storage.db import Database, create_database
from memfeed.platform.storage.schema import ApiKey, Base, Event, Item, ItemVector, User

__all__ = ["ApiKey", "Base", "Database", "Event", "Item", "ItemVector", "User", "create_database"]
