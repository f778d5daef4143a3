"""Activity ingest from mobile clients: batched, retried and late, so idempotent by `event_id`.

Each event is checked on its own (one bad event never rejects the batch); accepted rows go in with one
bulk INSERT ... ON CONFLICT DO NOTHING, so a concurrent retry of the same batch can never double-count.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from memfeed.events.records import IngestResult, Rejection
from memfeed.events.repository import EventRepository
from memfeed.events.weights import EventType
from memfeed.platform.inputs import ExternalId, InputTime, JsonObject
from memfeed.platform.settings import Settings
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.types import utcnow
from memfeed.platform.telemetry import Telemetry


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
    repository: EventRepository,
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

    known = repository.known_items({e.item_id for _, e in candidates})
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

    inserted = repository.insert_new(list(rows.values()), now)
    result.accepted = len(inserted)
    result.duplicates += len(rows) - len(inserted)
    result.accepted_users = {rows[eid]["user_id"] for eid in inserted}
    return result


class EventService:
    """Ingest with the telemetry every accepted, duplicate and rejected event is counted in."""

    def __init__(self, database: Database, settings: Settings, telemetry: Telemetry) -> None:
        self.database = database
        self.repository = EventRepository(database)
        self.future_tolerance = timedelta(seconds=settings.future_tolerance_seconds)
        self.telemetry = telemetry

    def ingest(self, raw_events: Sequence[Any], *, only_user: str | None = None) -> IngestResult:
        """Store a batch; `only_user` (an app key's token subject) rejects events for anyone else."""
        allow = (lambda u: u == only_user) if only_user is not None else None
        result = ingest_events(
            self.repository,
            raw_events,
            future_tolerance=self.future_tolerance,
            allow_user=allow,
        )
        self.telemetry.count("events", result.accepted, outcome="accepted")
        self.telemetry.count("events", result.duplicates, outcome="duplicate")
        self.telemetry.count("events", len(result.rejected), outcome="rejected")
        return result
