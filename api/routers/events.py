"""Activity ingest."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import EventsDep, EventWriter
from api.schemas.common import errors
from api.schemas.events import EventBatchIn, EventBatchOut, RejectedEvent

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post("", response_model=EventBatchOut, responses=errors(400, 401, 403, 413, 422))
def post_events(body: EventBatchIn, events: EventsDep, owner: EventWriter) -> EventBatchOut:
    """Store up to 500 events. Re-sent `event_id`s count as duplicates; bad events are rejected one by one."""
    result = events.ingest(body.events, only_user=owner)
    return EventBatchOut(
        accepted=result.accepted,
        duplicates=result.duplicates,
        rejected=[
            RejectedEvent(index=r.index, event_id=r.event_id, code=r.code, message=r.message)
            for r in result.rejected
        ],
    )
