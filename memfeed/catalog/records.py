"""What the catalog takes in (pydantic models, validated at the edge) and hands out (frozen dataclasses and
tuples, never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from memfeed.platform.inputs import CleanStr, ExternalId, InputTime, JsonObject, Tag


class ItemFields(BaseModel):
    """What a client may say about an item (the body of `PUT /v1/items/{item_id}`)."""

    model_config = ConfigDict(extra="forbid")

    title: CleanStr = Field(min_length=1, max_length=500)
    text: CleanStr = Field(default="", max_length=20_000)
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    category: ExternalId | None = None
    available: bool = True
    published_at: InputTime | None = None
    metadata: JsonObject = Field(default_factory=dict)


class ItemEntry(ItemFields):
    """One element of a batch upsert: the fields plus the item's id."""

    item_id: ExternalId


@dataclass(frozen=True)
class ItemCard:
    """What serving needs to know of an item without a database round trip."""

    item_id: str
    title: str
    category: str | None
    published_at: datetime | None
    available: bool


@dataclass(frozen=True)
class ItemRecord:
    """A stored item, everything a client may read back."""

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


@dataclass(frozen=True)
class UpsertResult:
    item_id: str
    created: bool
    embedded: bool


@dataclass(frozen=True)
class BatchError:
    index: int
    code: str
    message: str


@dataclass
class BatchOutcome:
    upserted: int
    errors: list[BatchError] = field(default_factory=list)


class ContentVector(NamedTuple):
    """An item's content vector as stored: `content_hash` is the hash of the text it was computed from."""

    item_id: str
    content_hash: str
    vector: np.ndarray


class ItemText(NamedTuple):
    """The fields an item's embedded text is rendered from, with the hash they have now."""

    item_id: str
    content_hash: str
    title: str
    text: str
    tags: list[str]
    category: str | None


class ServingRow(NamedTuple):
    """One item as the live catalog loads it, with the row timestamps its sync compares (a tuple: a catalog
    loads 100k of them at start-up)."""

    card: ItemCard
    vector: np.ndarray | None
    item_at: datetime
    vector_at: datetime | None
