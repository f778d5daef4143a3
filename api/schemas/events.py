"""Event batches and their per-event outcome."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from memfeed.events.service import EventIn


class EventBatchIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "events": [
                    {
                        "event_id": "e-1",
                        "user_id": "u-1",
                        "item_id": "article-1",
                        "type": "like",
                        "timestamp": "2026-05-02T10:00:00Z",
                    }
                ]
            }
        }
    )

    events: list[Annotated[EventIn | Any, Field(union_mode="left_to_right")]] = Field(
        max_length=500, description="Up to 500 events shaped like EventIn; bad ones are rejected one by one"
    )


class RejectedEvent(BaseModel):
    index: int
    event_id: str | None
    code: str = Field(examples=["timestamp_in_future"])
    message: str


class EventBatchOut(BaseModel):
    accepted: int
    duplicates: int
    rejected: list[RejectedEvent]
