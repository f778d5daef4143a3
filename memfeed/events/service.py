"""Activity ingest from mobile clients: batched, retried and late, so idempotent by `event_id`.

Each event is checked on its own (one bad event never rejects the batch); accepted rows go in with one
bulk INSERT ... ON CONFLICT DO NOTHING, so a concurrent retry of the same batch can never double-count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from psycopg.types.json import Jsonb
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Table, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from memfeed.platform.inputs import ExternalId, InputTime, JsonObject
from memfeed.platform.storage.schema import Event, Item, User
from memfeed.platform.storage.types import utcnow


class EventType(StrEnum):
    view = "view"
    click = "click"
    like = "like"
    dislike = "dislike"
    share = "share"
    save = "save"
    purchase = "purchase"
    dwell = "dwell"
    rating = "rating"
    skip = "skip"
    hide = "hide"


class EventIn(BaseModel):
    """One activity event as a client sends it."""

    model_config = ConfigDict(extra="forbid")

    event_id: ExternalId
    user_id: ExternalId
    item_id: ExternalId
    type: EventType
    value: float | None = Field(default=None, ge=-1e9, le=1e9, allow_inf_nan=False)
    timestamp: InputTime | None = Field(
        default=None, description="ISO-8601 with offset or Unix seconds; defaults to the receive time"
    )
    context: JsonObject | None = None


@dataclass(frozen=True)
class Rejection:
    index: int
    event_id: str | None
    code: str
    message: str


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    accepted_users: set[str] = field(default_factory=set)


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "event"
    return f"{where}: {err['msg']}"


def _check_value(event: EventIn) -> str | None:
    if event.type == EventType.rating and event.value is None:
        return "a rating event needs a value"
    if event.type == EventType.dwell and (event.value is None or event.value < 0):
        return "a dwell event needs a value in seconds >= 0"
    return None


def ingest_events(
    session: Session,
    raw_events: Sequence[Any],
    *,
    future_tolerance: timedelta = timedelta(minutes=5),
    allow_user: Callable[[str], bool] | None = None,
    now: datetime | None = None,
) -> IngestResult:
    """Validate, dedupe and store a batch; returns counts and the reason for every rejected event.

    `allow_user` lets the caller restrict whose events may be written (an app key may only write its
    token's user). A re-sent `event_id`, in this batch or any earlier one, counts as a duplicate.
    """
    now = now or utcnow()
    result = IngestResult()
    candidates: list[tuple[int, EventIn]] = []
    for index, raw in enumerate(raw_events):
        raw_id = raw.get("event_id") if isinstance(raw, dict) else None
        event_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= 128 else None
        try:
            event = EventIn.model_validate(raw)
        except ValidationError as exc:
            result.rejected.append(Rejection(index, event_id, "validation_error", _first_error(exc)))
            continue
        problem = _check_value(event)
        if problem:
            result.rejected.append(Rejection(index, event.event_id, "validation_error", problem))
        elif event.timestamp is not None and event.timestamp > now + future_tolerance:
            result.rejected.append(
                Rejection(
                    index,
                    event.event_id,
                    "timestamp_in_future",
                    f"timestamp is more than {int(future_tolerance.total_seconds())} s in the future",
                )
            )
        elif allow_user is not None and not allow_user(event.user_id):
            result.rejected.append(
                Rejection(index, event.event_id, "forbidden", "events may only be sent for the token's user")
            )
        else:
            candidates.append((index, event))
    if not candidates:
        return result

    postgres = session.get_bind().dialect.name == "postgresql"  # else SQLite: the two databases we run on
    known = _known_items(session, {e.item_id for _, e in candidates}, postgres)
    rows: dict[str, dict[str, Any]] = {}
    for index, event in candidates:
        if event.item_id not in known:
            result.rejected.append(
                Rejection(
                    index, event.event_id, "unknown_item", f"item {event.item_id!r} is not in the catalog"
                )
            )
            continue
        if event.event_id in rows:
            result.duplicates += 1
            continue
        rows[event.event_id] = {
            "event_id": event.event_id,
            "user_id": event.user_id,
            "item_id": event.item_id,
            "type": event.type.value,
            "value": event.value,
            "ts": event.timestamp or now,
            "received_at": now,
            "context": event.context,
        }
    result.rejected.sort(key=lambda r: r.index)
    if not rows:
        return result

    _ensure_users(session, {r["user_id"] for r in rows.values()}, now, postgres)
    inserted = _insert_new(session, list(rows.values()), postgres)
    result.accepted = len(inserted)
    result.duplicates += len(rows) - len(inserted)
    result.accepted_users = {rows[eid]["user_id"] for eid in inserted}
    return result


# SQLite: Core statements on the tables, executed with a list of rows: one cached compilation, batched into
# multi-row INSERTs by the driver layer (insertmanyvalues), no ORM bulk bookkeeping per row.
EVENTS: Table = Event.__table__  # type: ignore[assignment]
USERS: Table = User.__table__  # type: ignore[assignment]
_SQLITE_INSERT_EVENTS = (
    sqlite_insert(EVENTS).on_conflict_do_nothing(index_elements=["event_id"]).returning(EVENTS.c.event_id)
)
_SQLITE_ENSURE_USERS = sqlite_insert(USERS).on_conflict_do_nothing(index_elements=["user_id"])

# PostgreSQL: the batch travels as one array per column through `unnest`, in statements whose text never
# changes. A multi-row VALUES statement (what insertmanyvalues and an expanding IN build) is new text for every
# batch size, too long for psycopg's query cache, so psycopg re-parsed it in Python on every batch: a third
# of the server's CPU at 500 events per batch (py-spy; docs/performance.md).
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


def _naive_utc(ts: datetime) -> datetime:
    """What `UTCDateTime` stores (statements in `text` bypass the column type)."""
    return ts.astimezone(UTC).replace(tzinfo=None)


def _known_items(session: Session, item_ids: set[str], postgres: bool) -> set[str]:
    if postgres:
        return set(session.connection().execute(_PG_KNOWN_ITEMS, {"ids": list(item_ids)}).scalars())
    return set(session.scalars(select(Item.item_id).where(Item.item_id.in_(item_ids))))


def _insert_new(session: Session, rows: list[dict[str, Any]], postgres: bool) -> list[str]:
    """Insert rows whose event_id is new; returns the ids actually inserted (the unique index decides)."""
    if not postgres:
        return list(session.connection().execute(_SQLITE_INSERT_EVENTS, rows).scalars())
    columns: dict[str, list[Any]] = {name: [row[name] for row in rows] for name in rows[0]}
    columns["ts"] = [_naive_utc(ts) for ts in columns["ts"]]
    columns["received_at"] = [_naive_utc(rows[0]["received_at"])] * len(rows)  # one receive time per batch
    columns["context"] = [None if c is None else Jsonb(c) for c in columns["context"]]
    return list(session.connection().execute(_PG_INSERT_EVENTS, columns).scalars())


def _ensure_users(session: Session, user_ids: set[str], now: datetime, postgres: bool) -> None:
    if postgres:
        session.connection().execute(_PG_ENSURE_USERS, {"ids": sorted(user_ids), "now": _naive_utc(now)})
        return
    values = [{"user_id": u, "traits": {}, "created_at": now, "updated_at": now} for u in sorted(user_ids)]
    session.connection().execute(_SQLITE_ENSURE_USERS, values)
