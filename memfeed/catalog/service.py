"""The item catalog: validated upserts that embed only what changed, reads, and unavailability.

An item's content vector is written in the same transaction as the item, so any process that reads the
database (another API worker, a pipeline) sees both together.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from memfeed.catalog.embedding import Embedder, content_hash, item_text
from memfeed.platform.errors import ItemNotFound
from memfeed.platform.inputs import CleanStr, ExternalId, InputTime, JsonObject, Tag
from memfeed.platform.storage.schema import Item, ItemVector
from memfeed.platform.storage.types import utcnow


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
class BatchUpsert:
    results: list[UpsertResult]
    errors: list[BatchError]
    cards: list[ItemCard]
    vectors: dict[str, np.ndarray]


def card_of(item: Item) -> ItemCard:
    return ItemCard(item.item_id, item.title, item.category, item.published_at, item.available)


def _hash_fields(fields: ItemFields) -> str:
    return content_hash(fields.title, fields.text, tuple(fields.tags), fields.category)


def validate_entries(raw_items: Sequence[Any]) -> tuple[list[tuple[int, ItemEntry]], list[BatchError]]:
    """Validate each element on its own so one bad item does not reject the batch."""
    valid: list[tuple[int, ItemEntry]] = []
    errors: list[BatchError] = []
    for index, raw in enumerate(raw_items):
        try:
            valid.append((index, ItemEntry.model_validate(raw)))
        except ValidationError as exc:
            errors.append(BatchError(index, "validation_error", _first_error(exc)))
    return valid, errors


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err["loc"]) or "item"
    return f"{where}: {err['msg']}"


def upsert_items(session: Session, embedder: Embedder, entries: Sequence[ItemEntry]) -> BatchUpsert:
    """Insert or update items; embeds (in one batch) only those whose text changed or lacks a vector."""
    last: dict[str, ItemEntry] = {e.item_id: e for e in entries}
    ids = list(last)
    existing = {i.item_id: i for i in session.scalars(select(Item).where(Item.item_id.in_(ids)))}
    vectors = {
        v.item_id: v
        for v in session.scalars(select(ItemVector).where(ItemVector.item_id.in_(ids)))
        if v.embedder == embedder.embedder_id
    }
    now = utcnow()
    to_embed: list[tuple[str, str, str]] = []
    results: list[UpsertResult] = []
    items: list[Item] = []
    for item_id, fields in last.items():
        digest = _hash_fields(fields)
        item = existing.get(item_id)
        created = item is None
        if item is None:
            item = Item(item_id=item_id, created_at=now)
            session.add(item)
        item.title = fields.title
        item.text = fields.text
        item.tags = list(fields.tags)
        item.category = fields.category
        item.available = fields.available
        item.published_at = fields.published_at or (item.published_at if not created else now)
        item.meta = fields.metadata
        item.content_hash = digest
        item.updated_at = now
        items.append(item)
        vector_row = vectors.get(item_id)
        needs_vector = vector_row is None or vector_row.content_hash != digest
        if needs_vector:
            to_embed.append(
                (item_id, digest, item_text(fields.title, fields.text, fields.tags, fields.category))
            )
        results.append(UpsertResult(item_id, created, needs_vector))
    session.flush()
    fresh = _store_vectors(session, embedder, to_embed, now)
    all_vectors = {iid: np.frombuffer(v.vector, dtype=np.float32) for iid, v in vectors.items()}
    all_vectors.update(fresh)
    return BatchUpsert(results, [], [card_of(i) for i in items], all_vectors)


def _store_vectors(
    session: Session, embedder: Embedder, pending: Sequence[tuple[str, str, str]], now: datetime
) -> dict[str, np.ndarray]:
    if not pending:
        return {}
    matrix = embedder.encode([text for _, _, text in pending])
    ids = [item_id for item_id, _, _ in pending]
    existing = {v.item_id: v for v in session.scalars(select(ItemVector).where(ItemVector.item_id.in_(ids)))}
    out: dict[str, np.ndarray] = {}
    for (item_id, digest, _), vector in zip(pending, matrix, strict=True):
        row = existing.get(item_id)
        if row is None:
            row = ItemVector(item_id=item_id)
            session.add(row)
        row.embedder = embedder.embedder_id
        row.content_hash = digest
        row.dim = int(vector.shape[0])
        row.vector = vector.astype(np.float32).tobytes()
        row.updated_at = now
        out[item_id] = vector
    return out


def get_item(session: Session, item_id: str) -> Item:
    item = session.get(Item, item_id)
    if item is None:
        raise ItemNotFound(f"item {item_id!r} not found")
    return item


def delete_item(session: Session, item_id: str, *, hard: bool = False) -> None:
    """Make an item unavailable (never recommended again); `hard` also removes the row and its vector.

    Events that mention a hard-deleted item are kept: they are the user's history, not the item's.
    """
    item = get_item(session, item_id)
    if hard:
        session.execute(delete(ItemVector).where(ItemVector.item_id == item_id))
        session.delete(item)
    else:
        item.available = False
        item.updated_at = utcnow()


def embed_missing(
    session: Session, embedder: Embedder, *, batch: int = 512, progress: Callable[..., None] | None = None
) -> int:
    """Embed every item without a current vector (new embedder, or text changed); returns how many.

    Cost is proportional to what changed: unchanged items are skipped by content hash.
    """
    rows = session.execute(
        select(Item.item_id, Item.title, Item.text, Item.tags, Item.category, Item.content_hash)
        .outerjoin(ItemVector, ItemVector.item_id == Item.item_id)
        .where(
            (ItemVector.item_id.is_(None))
            | (ItemVector.embedder != embedder.embedder_id)
            | (ItemVector.content_hash != Item.content_hash)
        )
    ).all()
    now = utcnow()
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        pending = [
            (r.item_id, r.content_hash, item_text(r.title, r.text, r.tags or [], r.category)) for r in chunk
        ]
        _store_vectors(session, embedder, pending, now)
        session.flush()
        if progress is not None:
            progress("embedded %d/%d items", min(start + batch, len(rows)), len(rows))
    return len(rows)
