"""User traits and the user's data export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.memories import MemoryDetailOut
from memfeed.platform.inputs import JsonObject


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    traits: JsonObject = Field(default_factory=dict)


class UserOut(BaseModel):
    user_id: str
    traits: dict[str, Any]
    created_at: datetime
    updated_at: datetime


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
