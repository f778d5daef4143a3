"""LLM memory requests and answers (a memory has the same shape wherever it is returned)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from memfeed.memory.records import ACTIVITY_KIND, KIND_PATTERN, MAX_TEXT_CHARS, MAX_TTL_SECONDS
from memfeed.platform.inputs import CleanStr, ExternalId, InputTime, JsonObject


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
