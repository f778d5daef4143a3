"""Request and response models of the contract (../shared/API.md), with examples for generated clients."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from memfeed.catalog.records import ItemEntry, ItemFields
from memfeed.events.service import EventIn
from memfeed.memory.records import ACTIVITY_KIND, KIND_PATTERN, MAX_TEXT_CHARS, MAX_TTL_SECONDS
from memfeed.platform.inputs import CleanStr, ExternalId, InputTime, JsonObject

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


# --- memories ---------------------------------------------------------------------------------------


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty or whitespace only")
    return value


MemoryText = Annotated[CleanStr, Field(min_length=1, max_length=MAX_TEXT_CHARS), AfterValidator(_not_blank)]


def _not_activity(value: str) -> str:
    if value == ACTIVITY_KIND:
        raise ValueError(f"{ACTIVITY_KIND!r} is reserved for activity results")
    return value


# The pattern before the validator: after it, pydantic enforces it but leaves it out of the OpenAPI schema.
MemoryKind = Annotated[
    str,
    Field(
        pattern=KIND_PATTERN,
        description="fact, preference, episode, or a custom snake_case kind (at most 64 chars; not activity)",
        examples=["fact", "preference", "episode"],
    ),
    AfterValidator(_not_activity),
]
TtlSeconds = Annotated[
    int, Field(ge=1, le=MAX_TTL_SECONDS, description="forget it this many seconds from now")
]


class MemoryIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "text": "I am allergic to peanuts",
                "kind": "fact",
                "session_id": "chat-42",
                "metadata": {"source": "chat"},
            }
        },
    )

    text: MemoryText
    kind: MemoryKind = "fact"
    session_id: ExternalId | None = None
    metadata: JsonObject | None = None
    ttl_seconds: TtlSeconds | None = None
    occurred_at: InputTime | None = Field(
        default=None, description="when it happened: ISO-8601 with offset or Unix seconds; default now"
    )


class MemoryPatchIn(BaseModel):
    """Only the fields present change; `"ttl_seconds": null` removes the expiry; metadata is replaced whole."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"text": "I am allergic to peanuts and cashews"}}
    )

    text: MemoryText | None = None
    kind: MemoryKind | None = None
    metadata: JsonObject | None = None
    ttl_seconds: TtlSeconds | None = None


class MemoryRevisionOut(BaseModel):
    text: str
    kind: str
    metadata: dict[str, Any]
    changed_at: datetime
    reason: str = Field(examples=["update", "merge"])


class MemoryOut(BaseModel):
    memory_id: str = Field(examples=["mem_3f2c9a0e5b7d4c1e9f8a6b5c4d3e2f1a"])
    text: str
    kind: str
    session_id: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    occurred_at: datetime
    expires_at: datetime | None
    mentions: int


class MemoryDetailOut(MemoryOut):
    history: list[MemoryRevisionOut] = Field(description="prior versions, oldest first")


class MemoryWriteOut(BaseModel):
    memory: MemoryOut
    merged: bool = Field(description="true when it restated a memory already held, which was updated")


class MemoryPageOut(BaseModel):
    items: list[MemoryOut]
    next_cursor: str | None


class MemorySearchResult(BaseModel):
    memory_id: str | None = Field(description="null for activity results")
    text: str = Field(
        examples=["I am allergic to peanuts", "liked 'Baking flaky croissants at home' on 2026-05-02"]
    )
    kind: str
    score: float = Field(description="fused relevance in [0, 1], comparable within one answer")
    created_at: datetime
    occurred_at: datetime
    session_id: str | None
    metadata: dict[str, Any]


class MemorySearchOut(BaseModel):
    results: list[MemorySearchResult]


# --- privacy ----------------------------------------------------------------------------------------


class ProfileOut(BaseModel):
    traits: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ExportedEvent(BaseModel):
    event_id: str
    item_id: str
    type: str = Field(examples=["like"])
    value: float | None
    timestamp: datetime
    received_at: datetime
    context: dict[str, Any] | None


class UserExportOut(BaseModel):
    """Everything stored about the user. Sent as one JSON document, streamed: `events` comes last."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "user_id": "u-1",
                "exported_at": "2026-05-03T08:00:00Z",
                "profile": {
                    "traits": {"country": "PT"},
                    "created_at": "2026-05-01T09:00:00Z",
                    "updated_at": "2026-05-02T10:00:00Z",
                },
                "memories": [
                    {
                        "memory_id": "mem_3f2c9a0e5b7d4c1e9f8a6b5c4d3e2f1a",
                        "text": "I am allergic to peanuts and cashews",
                        "kind": "fact",
                        "session_id": "chat-42",
                        "metadata": {},
                        "created_at": "2026-05-01T09:05:00Z",
                        "updated_at": "2026-05-02T10:05:00Z",
                        "occurred_at": "2026-05-01T09:05:00Z",
                        "expires_at": None,
                        "mentions": 1,
                        "history": [
                            {
                                "text": "I am allergic to peanuts",
                                "kind": "fact",
                                "metadata": {},
                                "changed_at": "2026-05-02T10:05:00Z",
                                "reason": "update",
                            }
                        ],
                    }
                ],
                "other": {},
                "events": [
                    {
                        "event_id": "e-1",
                        "item_id": "article-1",
                        "type": "like",
                        "value": None,
                        "timestamp": "2026-05-02T10:00:00Z",
                        "received_at": "2026-05-02T10:00:01Z",
                        "context": {"screen": "home"},
                    }
                ],
            }
        }
    )

    user_id: str
    exported_at: datetime
    profile: ProfileOut | None = Field(description="null when the user never had traits or events")
    memories: list[MemoryDetailOut] = Field(description="every memory, expired ones not yet purged too")
    other: dict[str, list[dict[str, Any]]] = Field(
        description="rows of any other table keyed by the user, by table name (empty today)"
    )
    events: list[ExportedEvent] = Field(description="every event, oldest first")
