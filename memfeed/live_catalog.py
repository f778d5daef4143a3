"""The serving view of the catalog: item cards and a vector index of every available item, in memory.

Each API process keeps one. Writes made through this process apply at once; writes made by other
processes (another worker, a pipeline) arrive through `sync`, which reads only rows changed since the
last look, so a new or changed item is searchable within `catalog_refresh_seconds` everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import select

from memfeed.catalog import ItemCard
from memfeed.storage.db import Database
from memfeed.storage.schema import Item, ItemVector
from vectorstore import VectorIndex

SYNC_OVERLAP = timedelta(seconds=2)


class LiveCatalog:
    """Item cards by id plus a `VectorIndex` over the content vectors of available items."""

    def __init__(self, index: VectorIndex, embedder_id: str) -> None:
        self.index = index
        self.embedder_id = embedder_id
        self._cards: dict[str, ItemCard] = {}
        self._lock = threading.Lock()
        self._watermark: datetime | None = None
        self.version = 0
        """Bumped on every change, so caches derived from the catalog know when to rebuild."""

    @property
    def dim(self) -> int:
        return self.index.dim

    def __len__(self) -> int:
        return len(self._cards)

    def card(self, item_id: str) -> ItemCard | None:
        return self._cards.get(item_id)

    def cards(self) -> list[ItemCard]:
        return list(self._cards.values())

    def apply(self, cards: Sequence[ItemCard], vectors: Mapping[str, np.ndarray]) -> None:
        """Make `cards` current: available ones with a vector become searchable, others are withdrawn."""
        with self._lock:
            add_ids: list[str] = []
            add_vecs: list[np.ndarray] = []
            withdraw: list[str] = []
            for card in cards:
                self._cards[card.item_id] = card
                vector = vectors.get(card.item_id)
                if card.available and vector is not None:
                    add_ids.append(card.item_id)
                    add_vecs.append(vector)
                elif not card.available:
                    withdraw.append(card.item_id)
            if add_ids:
                self.index.upsert(add_ids, np.vstack(add_vecs))
            if withdraw:
                self.index.remove(withdraw)
            self.version += 1

    def forget(self, item_ids: Iterable[str]) -> None:
        """Drop items entirely (hard delete)."""
        ids = list(item_ids)
        with self._lock:
            for item_id in ids:
                self._cards.pop(item_id, None)
            self.index.remove(ids)
            self.version += 1

    def sync(self, database: Database) -> int:
        """Read items (and their vectors) changed since the last sync; returns how many were applied."""
        since = self._watermark - SYNC_OVERLAP if self._watermark else None
        stmt = select(Item, ItemVector.vector, ItemVector.embedder).outerjoin(
            ItemVector, ItemVector.item_id == Item.item_id
        )
        if since is not None:
            stmt = stmt.where(Item.updated_at >= since)
        cards: list[ItemCard] = []
        vectors: dict[str, np.ndarray] = {}
        newest = self._watermark
        with database.session() as session:
            for item, blob, embedder in session.execute(stmt):
                cards.append(
                    ItemCard(item.item_id, item.title, item.category, item.published_at, item.available)
                )
                if blob is not None and embedder == self.embedder_id:
                    vectors[item.item_id] = np.frombuffer(blob, dtype=np.float32)
                if newest is None or item.updated_at > newest:
                    newest = item.updated_at
        if cards:
            self.apply(cards, vectors)
        self._watermark = newest
        return len(cards)
