"""Catalog requests and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from memfeed.catalog.service import ItemEntry


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
