"""Feed pages and similar items."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FeedEntry(BaseModel):
    item_id: str
    title: str
    score: float
    reason: str = Field(examples=["because you liked How rockets land themselves", "popular now"])


class FeedOut(BaseModel):
    items: list[FeedEntry]
    next_cursor: str | None
    model_version: str


class SimilarItem(BaseModel):
    item_id: str
    title: str
    score: float


class SimilarOut(BaseModel):
    items: list[SimilarItem]
