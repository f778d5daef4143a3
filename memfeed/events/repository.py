"""Every statement against `events` (and the `users` rows an ingest creates): ingest, a user's latest
interactions and seen set, popularity counts, training's full scan, export pages and activity recall.

Ingest statements are built once, per database: SQLite gets Core statements executed with a list of rows
(one compilation, multi-row INSERTs by the driver layer); PostgreSQL gets one array per column through
`unnest` in statements whose text never changes. A multi-row VALUES statement (what insertmanyvalues and an
expanding IN build) is new text for every batch size, too long for psycopg's query cache, so psycopg re-parsed
it in Python on every batch: a third of the server's CPU at 500 events per batch (py-spy; docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Table, and_, func, or_, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from memfeed.events.records import ActivityRow, EventRecord, Interaction
from memfeed.events.weights import NEGATIVE_TYPES
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Event, Item, ItemVector, User

EVENTS: Table = Event.__table__  # type: ignore[assignment]
USERS: Table = User.__table__  # type: ignore[assignment]
_SQLITE_INSERT_EVENTS = (
    sqlite_insert(EVENTS).on_conflict_do_nothing(index_elements=["event_id"]).returning(EVENTS.c.event_id)
)
_SQLITE_ENSURE_USERS = sqlite_insert(USERS).on_conflict_do_nothing(index_elements=["user_id"])
_PG_KNOWN_ITEMS = text("SELECT item_id FROM items WHERE item_id = ANY(CAST(:ids AS text[]))")
_PG_INSERT_EVENTS = text(
    "INSERT INTO events (event_id, user_id, item_id, type, value, ts, received_at, context) "
    "SELECT * FROM unnest(CAST(:event_id AS text[]), CAST(:user_id AS text[]), CAST(:item_id AS text[]), "
    "CAST(:type AS text[]), CAST(:value AS float8[]), CAST(:ts AS timestamp[]), "
    "CAST(:received_at AS timestamp[]), CAST(:context AS jsonb[])) "
    "ON CONFLICT (event_id) DO NOTHING RETURNING event_id"
)
_PG_ENSURE_USERS = text(
    "INSERT INTO users (user_id, traits, created_at, updated_at) "
    "SELECT u, CAST('{}' AS jsonb), :now, :now FROM unnest(CAST(:ids AS text[])) AS u "
    "ON CONFLICT (user_id) DO NOTHING"
)
EXPORT_PAGE = 1000


def _naive_utc(ts: datetime) -> datetime:
    """What `UTCDateTime` stores (statements in `text` bypass the column type)."""
    return ts.astimezone(UTC).replace(tzinfo=None)


class EventRepository:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.postgres = database.dialect == "postgresql"  # else SQLite: the two databases we run on

    # --- ingest ---------------------------------------------------------------------------------

    def known_items(self, item_ids: set[str]) -> set[str]:
        with self.database.engine.connect() as connection:
            if self.postgres:
                return set(connection.execute(_PG_KNOWN_ITEMS, {"ids": list(item_ids)}).scalars())
            return set(connection.execute(select(Item.item_id).where(Item.item_id.in_(item_ids))).scalars())

    def insert_new(self, rows: list[dict[str, Any]], now: datetime) -> list[str]:
        """In one transaction: a profile row for every user named, then the rows whose event_id is new.
        Returns the ids actually inserted (the unique index decides, so racing retries never double-count).
        Every row carries the same `received_at` (one receive time per batch)."""
        with self.database.session() as session:
            self._ensure_users(session, {r["user_id"] for r in rows}, now)
            return self._insert(session, rows)

    def _insert(self, session: Session, rows: list[dict[str, Any]]) -> list[str]:
        if not self.postgres:
            return list(session.connection().execute(_SQLITE_INSERT_EVENTS, rows).scalars())
        columns: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in rows[0]}
        columns["ts"] = [_naive_utc(ts) for ts in columns["ts"]]
        columns["received_at"] = [_naive_utc(rows[0]["received_at"])] * len(rows)
        columns["context"] = [None if c is None else Jsonb(c) for c in columns["context"]]
        return list(session.connection().execute(_PG_INSERT_EVENTS, columns).scalars())

    def _ensure_users(self, session: Session, user_ids: set[str], now: datetime) -> None:
        """Traits stay empty until the app sets them."""
        if self.postgres:
            session.connection().execute(_PG_ENSURE_USERS, {"ids": sorted(user_ids), "now": _naive_utc(now)})
            return
        values = [
            {"user_id": u, "traits": {}, "created_at": now, "updated_at": now} for u in sorted(user_ids)
        ]
        session.connection().execute(_SQLITE_ENSURE_USERS, values)

    # --- reads ----------------------------------------------------------------------------------

    def latest_interactions(self, user_id: str, limit: int) -> list[Interaction]:
        """The user's latest events, newest first (a plain connection: no ORM session for a hot read)."""
        with self.database.engine.connect() as connection:
            rows = connection.execute(
                select(Event.item_id, Event.type, Event.value, Event.ts)
                .where(Event.user_id == user_id)
                .order_by(Event.ts.desc(), Event.id.desc())
                .limit(limit)
            ).all()
        return [Interaction._make(r) for r in rows]  # rows are (item_id, type, value, ts)

    def seen_items(self, user_id: str) -> set[str]:
        """Every item the user has any event on, however old: what the feed never shows them again.

        Read from the (user_id, item_id) index alone (no table rows), one entry per event; the one place to
        swap for a set kept at write time."""
        with self.database.engine.connect() as connection:
            return set(
                connection.execute(select(Event.item_id).where(Event.user_id == user_id).distinct()).scalars()
            )

    def all_interactions(self) -> Iterator[tuple[str, Interaction]]:
        """Every event as (user_id, interaction), in insertion order, streamed."""
        with self.database.session() as session:
            stmt = select(Event.user_id, Event.item_id, Event.type, Event.value, Event.ts).order_by(Event.id)
            for row in session.execute(stmt.execution_options(yield_per=20_000)):
                yield row.user_id, Interaction(row.item_id, row.type, row.value, row.ts)

    def latest_time(self) -> datetime | None:
        with self.database.session() as session:
            return session.scalar(select(func.max(Event.ts)))

    def engaged_users(self, since: datetime) -> list[tuple[str, int]]:
        """(item_id, distinct users with a non-negative event since `since`) for every such item."""
        with self.database.session() as session:
            rows = session.execute(
                select(Event.item_id, func.count(func.distinct(Event.user_id)))
                .where(Event.ts >= since, Event.type.not_in(NEGATIVE_TYPES))
                .group_by(Event.item_id)
            ).all()
        return [(item_id, int(count)) for item_id, count in rows]

    def has_events(self, user_id: str) -> bool:
        with self.database.session() as session:
            return session.scalar(select(Event.id).where(Event.user_id == user_id).limit(1)) is not None

    def export_pages(self, user_id: str, page_size: int = EXPORT_PAGE) -> Iterator[list[EventRecord]]:
        """The user's events oldest first, a keyset page per query (an export never holds them all)."""
        after: tuple[datetime, int] | None = None
        while True:
            stmt = select(
                Event.id,
                Event.event_id,
                Event.item_id,
                Event.type,
                Event.value,
                Event.ts,
                Event.received_at,
                Event.context,
            ).where(Event.user_id == user_id)
            if after is not None:
                stmt = stmt.where(or_(Event.ts > after[0], and_(Event.ts == after[0], Event.id > after[1])))
            stmt = stmt.order_by(Event.ts, Event.id).limit(page_size)
            with self.database.session() as session:
                rows = session.execute(stmt).all()
            if rows:
                yield [
                    EventRecord(r.event_id, r.item_id, r.type, r.value, r.ts, r.received_at, r.context)
                    for r in rows
                ]
            if len(rows) < page_size:
                return
            after = (rows[-1].ts, rows[-1].id)

    def recent_activity(self, user_id: str, embedder_id: str, limit: int) -> list[ActivityRow]:
        """The user's latest `limit` events with item titles and content vectors, newest first, in one query."""
        with self.database.session() as session:
            rows = session.execute(
                select(Event.type, Event.value, Event.ts, Event.item_id, Item.title, ItemVector.vector)
                .join(Item, Item.item_id == Event.item_id)
                .outerjoin(
                    ItemVector, (ItemVector.item_id == Event.item_id) & (ItemVector.embedder == embedder_id)
                )
                .where(Event.user_id == user_id)
                .order_by(Event.ts.desc(), Event.id.desc())
                .limit(limit)
            ).all()
        return [ActivityRow._make(r) for r in rows]
