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

from memfeed.catalog.records import ItemCard
from memfeed.catalog.repository import ItemRepository
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
        self._synced: dict[str, tuple[datetime, datetime | None]] = {}
        """(item, vector) `updated_at` of rows applied by `sync` that its next look-back reads again."""
        self._window: tuple[datetime, int, datetime | None, datetime | None] | None = None
        """The last look-back's start, row count and newest item and vector `updated_at`."""
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

    def sync(self, items: ItemRepository) -> int:
        """Read items (and their vectors) changed since the last sync; returns how many were applied.

        The look-back overlaps the previous one (a write may commit late with an earlier `updated_at`), so
        rows already applied at the same item and vector timestamps are skipped, and an unchanged look-back
        (row count and newest item timestamp, newest vector timestamp) is not read at all: a quiet catalog costs two
        index-only aggregates per sync, no index write and no version bump (a bulk-loaded catalog shares one
        timestamp, and re-applying it every sync rebuilt the HNSW graph).
        """
        since = self._watermark - SYNC_OVERLAP if self._watermark else None
        cards: list[ItemCard] = []
        vectors: dict[str, np.ndarray] = {}
        newest = self._watermark
        changed: list[str] | None = None
        if since is not None:
            window = items.sync_window(since, self.embedder_id)
            if (since, *window) == self._window:
                return 0  # the same rows at the same newest timestamps: nothing new since the last look
            changed = [
                i
                for i, item_at, vector_at in items.change_stamps(since, self.embedder_id)
                if self._synced.get(i) != (item_at, vector_at)
            ]
        synced: dict[str, tuple[datetime, datetime | None]] = {}
        for card, vector, item_at, vector_at in items.serving_rows(self.embedder_id, changed):
            cards.append(card)
            if vector is not None:
                vectors[card.item_id] = vector
            synced[card.item_id] = (item_at, vector_at)
            if newest is None or item_at > newest:
                newest = item_at
        if cards:
            self.apply(cards, vectors)
        moved, self._watermark = newest != self._watermark, newest
        self._window = (since, *window) if since is not None else None
        if newest is not None and (synced or moved):
            horizon = newest - SYNC_OVERLAP  # only rows in the next look-back can be read again
            self._synced = {i: at for i, at in {**self._synced, **synced}.items() if at[0] >= horizon}
        return len(cards)
