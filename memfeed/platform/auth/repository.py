"""Statements on `api_keys`: keys are added, read by id, listed and revoked; never updated otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import ApiKey
from memfeed.platform.storage.types import utcnow


@dataclass(frozen=True)
class KeyRecord:
    """A stored key without its secret hash (what operators list)."""

    key_id: str
    name: str
    scope: str
    created_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class StoredKey:
    key_id: str
    scope: str
    secret_hash: str
    revoked: bool


class ApiKeyRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    def add(self, key_id: str, name: str, scope: str, secret_hash: str) -> None:
        with self.database.session() as session:
            session.add(ApiKey(key_id=key_id, name=name, scope=scope, secret_hash=secret_hash))

    def get(self, key_id: str) -> StoredKey | None:
        with self.database.session() as session:
            row = session.get(ApiKey, key_id)
            if row is None:
                return None
            return StoredKey(row.key_id, row.scope, row.secret_hash, row.revoked_at is not None)

    def describe(self, key_id: str) -> KeyRecord | None:
        with self.database.session() as session:
            row = session.get(ApiKey, key_id)
            return _record(row) if row is not None else None

    def all(self) -> list[KeyRecord]:
        with self.database.session() as session:
            return [_record(row) for row in session.scalars(select(ApiKey).order_by(ApiKey.created_at))]

    def revoke(self, key_id: str) -> bool:
        """False when there is no such key or it was already revoked."""
        with self.database.session() as session:
            key = session.get(ApiKey, key_id)
            if key is None or key.revoked_at is not None:
                return False
            key.revoked_at = utcnow()
            return True


def _record(row: ApiKey) -> KeyRecord:
    return KeyRecord(row.key_id, row.name, row.scope, row.created_at, row.revoked_at)
