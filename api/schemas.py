"""Request and response models of the contract (../shared/API.md), with examples for generated clients."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from memfeed.catalog import ItemEntry, ItemFields
from memfeed.events import EventIn
from memfeed.ids import JsonObject

__all__ = ["EventIn", "ItemEntry", "ItemFields"]


class ErrorBody(BaseModel):
    code: str = Field(examples=["validation_error"])
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    error: ErrorBody


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries in the error shape for the given statuses."""
    return {status: {"model": ErrorResponse} for status in statuses}


# --- items ------------------------------------------------------------------------------------------


class ItemOut(BaseModel):
    item_id: str
    title: str
    text: str
    tags: list[str]
    category: str | None
    available: bool
    published_at: datetime | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ItemBatchIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "items": [
                    {
                        "item_id": "article-1",
                        "title": "How rockets land themselves",
                        "category": "space",
                        "tags": ["rockets"],
                    }
                ]
            }
        }
    )

    items: list[Annotated[ItemEntry | Any, Field(union_mode="left_to_right")]] = Field(
        max_length=1000, description="Up to 1000 items shaped like ItemEntry; bad ones are reported by index"
    )


class BatchItemError(BaseModel):
    index: int
    code: str
    message: str


class ItemBatchOut(BaseModel):
    upserted: int
    errors: list[BatchItemError]


class SimilarItem(BaseModel):
    item_id: str
    title: str
    score: float


class SimilarOut(BaseModel):
    items: list[SimilarItem]


# --- events -----------------------------------------------------------------------------------------


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


# --- users and feed ---------------------------------------------------------------------------------


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    traits: JsonObject = Field(default_factory=dict)


class UserOut(BaseModel):
    user_id: str
    traits: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class FeedEntry(BaseModel):
    item_id: str
    title: str
    score: float
    reason: str = Field(examples=["because you liked How rockets land themselves", "popular now"])


class FeedOut(BaseModel):
    items: list[FeedEntry]
    next_cursor: str | None
    model_version: str


class Health(BaseModel):
    status: str
    checks: dict[str, bool] = Field(default_factory=dict)
