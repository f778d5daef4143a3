"""The statements privacy needs beyond other domains' repositories: every row of every table keyed by a
user (found from the schema, so a table added later is exported and erased without anyone remembering to),
and the `erasures` audit table, which doubles as the durable suppression list for trained models."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Base, Erasure
from memfeed.platform.storage.types import utcnow

USER_COLUMN = "user_id"
BOOKKEEPING = frozenset({"memory_versions"})
"""Per-user rows that say nothing about the person (a random cache counter): erased, not exported or counted."""


def user_tables() -> list[Table]:
    """Every table of the schema with a `user_id` column, children before parents."""
    return [t for t in reversed(Base.metadata.sorted_tables) if USER_COLUMN in t.c]


def _plain(value: Any) -> Any:
    return base64.b64encode(value).decode() if isinstance(value, bytes) else value


class ErasureTransaction:
    """The deletes and the audit row of one erasure, committed together."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def delete_user_rows(self, user_id: str) -> dict[str, int]:
        """Delete the user's rows from every user-keyed table; returns rows removed per table."""
        removed: dict[str, int] = {}
        for table in user_tables():
            result = self.session.execute(delete(table).where(table.c[USER_COLUMN] == user_id))
            removed[table.name] = int(getattr(result, "rowcount", 0) or 0)
        return removed

    def record_erasure(
        self, removed: dict[str, int], *, key_id: str, scope: str, subject_digest: str
    ) -> None:
        """The audit row: when, which key and scope asked (clipped to the columns), counts, the subject's HMAC."""
        self.session.add(
            Erasure(
                erased_at=utcnow(),
                key_id=key_id[:32],
                scope=scope[:16],
                removed=removed,
                subject_digest=subject_digest,
            )
        )


class PrivacyRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    def user_rows(self, user_id: str, *, skip: frozenset[str]) -> dict[str, list[dict[str, Any]]]:
        """The user's rows of every user-keyed table not in `skip`, as JSON-ready dicts (bytes as base64);
        one query per table, every table named (an empty list when it holds nothing of theirs)."""
        with self.database.session() as session:
            return {
                table.name: [
                    {key: _plain(value) for key, value in row.items()}
                    for row in session.execute(
                        select(table).where(table.c[USER_COLUMN] == user_id)
                    ).mappings()
                ]
                for table in user_tables()
                if table.name not in skip
            }

    @contextmanager
    def erasing(self) -> Iterator[ErasureTransaction]:
        """One transaction for an erasure's deletes and its audit row."""
        with self.database.session() as session:
            yield ErasureTransaction(session)

    def erasures_after(self, erasure_id: int) -> list[tuple[int, str]]:
        """(id, subject digest) of every erasure logged after `erasure_id`, oldest first: one range query."""
        with self.database.session() as session:
            rows = session.execute(
                select(Erasure.id, Erasure.subject_digest).where(Erasure.id > erasure_id).order_by(Erasure.id)
            ).all()
        return [(int(r.id), r.subject_digest) for r in rows]
