"""The item catalog: validated upserts that embed only what changed, reads, unavailability, and the live
catalog kept current with every write, here and (through `sync`) in other processes.

A write goes to the database first (item and vector in one transaction), then to this process's live
catalog, so a new item is recommendable at once here and within `catalog_refresh_seconds` everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from pydantic import ValidationError

from memfeed.catalog.embedding import Embedder, content_hash, item_text
from memfeed.catalog.live import LiveCatalog
from memfeed.catalog.records import (
    BatchError,
    BatchOutcome,
    ContentVector,
    ItemCard,
    ItemEntry,
    ItemFields,
    ItemRecord,
    UpsertResult,
)
from memfeed.catalog.repository import ItemRepository
from memfeed.platform.errors import ItemNotFound
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.types import utcnow

EMBED_BATCH = 512
"""Items rendered, encoded and committed together by `embed_missing`."""


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


def _hash_fields(fields: ItemFields) -> str:
    return content_hash(fields.title, fields.text, tuple(fields.tags), fields.category)


class CatalogService:
    """Items in the database and in this process's live catalog.

    `live` is None in a process that serves nothing (a pipeline step): writes then reach serving processes
    at their next sync only, and the live reads (`card`, `len`) see an empty catalog.
    """

    def __init__(self, database: Database, embedder: Embedder, live: LiveCatalog | None = None) -> None:
        self.repository = ItemRepository(database)
        self.embedder = embedder
        self.live = live

    # --- writes ---------------------------------------------------------------------------------

    def upsert_item(self, item_id: str, fields: ItemFields) -> UpsertResult:
        return self._upsert([ItemEntry(item_id=item_id, **fields.model_dump())])[0]

    def put_item(self, item_id: str, fields: ItemFields) -> tuple[ItemRecord, bool]:
        """Upsert one item and read it back, as a PUT answers: the stored record and whether it is new."""
        result = self.upsert_item(item_id, fields)
        return self.get_item(item_id), result.created

    def upsert_items(self, raw_items: Sequence[Any]) -> BatchOutcome:
        """Validate and upsert a batch; invalid elements are reported by index and the rest stored. An id
        repeated in the batch is stored once, with its last fields."""
        valid, errors = validate_entries(raw_items)
        results = self._upsert([entry for _, entry in valid]) if valid else []
        return BatchOutcome(upserted=len(results), errors=errors)

    def _upsert(self, entries: Sequence[ItemEntry]) -> list[UpsertResult]:
        """Embeds (in one batch) only the items whose text changed or that lack a vector of this embedder."""
        last = {e.item_id: e for e in entries}
        hashes = {item_id: _hash_fields(fields) for item_id, fields in last.items()}
        embedder_id = self.embedder.embedder_id
        stored = self.repository.vectors(list(last), embedder_id)
        stale = [i for i in last if i not in stored or stored[i].content_hash != hashes[i]]
        fresh: list[ContentVector] = []
        if stale:
            texts = [item_text(last[i].title, last[i].text, last[i].tags, last[i].category) for i in stale]
            matrix = self.embedder.encode(texts)
            fresh = [ContentVector(i, hashes[i], v) for i, v in zip(stale, matrix, strict=True)]
        created, cards = self.repository.save(list(last.values()), hashes, fresh, embedder_id, utcnow())
        vectors: dict[str, np.ndarray] = {i: v.vector for i, v in stored.items()}
        vectors.update((v.item_id, v.vector) for v in fresh)
        if self.live is not None:
            self.live.apply(cards, vectors)
        embedded = set(stale)
        return [UpsertResult(i, i in created, i in embedded) for i in last]

    def delete_item(self, item_id: str, *, hard: bool = False) -> None:
        """Make an item unavailable (never recommended again); `hard` also removes the row and its vector.

        Events that mention a hard-deleted item are kept: they are the user's history, not the item's.
        """
        if hard:
            if not self.repository.remove(item_id):
                raise ItemNotFound(f"item {item_id!r} not found")
            if self.live is not None:
                self.live.forget([item_id])
            return
        card = self.repository.withdraw(item_id, utcnow())
        if card is None:
            raise ItemNotFound(f"item {item_id!r} not found")
        if self.live is not None:
            self.live.apply([card], {})  # unavailable: withdrawn from the index

    def embed_missing(self, *, progress: Callable[..., None] | None = None, batch: int = EMBED_BATCH) -> int:
        """Embed every item without a current vector (new embedder, or text changed); returns how many.

        Cost is proportional to what changed: unchanged items are skipped by content hash. Each batch is
        committed on its own, so a long run holds no write lock for its whole length.
        """
        pending = self.repository.lacking_vectors(self.embedder.embedder_id)
        for start in range(0, len(pending), batch):
            chunk = pending[start : start + batch]
            matrix = self.embedder.encode([item_text(p.title, p.text, p.tags, p.category) for p in chunk])
            vectors = [
                ContentVector(p.item_id, p.content_hash, v) for p, v in zip(chunk, matrix, strict=True)
            ]
            self.repository.save_vectors(vectors, self.embedder.embedder_id, utcnow())
            if progress is not None:
                progress("embedded %d/%d items", min(start + batch, len(pending)), len(pending))
        return len(pending)

    def sync(self) -> int:
        """Apply items changed by other processes to the live catalog; returns how many were read."""
        return self.live.sync(self.repository) if self.live is not None else 0

    # --- reads ----------------------------------------------------------------------------------

    def get_item(self, item_id: str) -> ItemRecord:
        record = self.repository.get(item_id)
        if record is None:
            raise ItemNotFound(f"item {item_id!r} not found")
        return record

    def card(self, item_id: str) -> ItemCard | None:
        """The live catalog's card (no database read)."""
        return self.live.card(item_id) if self.live is not None else None

    def __len__(self) -> int:
        """Items in the live catalog, available or not."""
        return len(self.live) if self.live is not None else 0
