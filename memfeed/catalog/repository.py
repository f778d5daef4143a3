"""Every statement against `items` and `item_vectors`: upserts with their vectors, reads, withdrawal and
removal, the vectors an embedder still owes, stored vectors by id, and the live catalog's sync reads.

An item's content vector is written in the same transaction as the item, so any process that reads the
database (another API worker, a pipeline) sees both together.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from datetime import datetime

import numpy as np
from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from memfeed.catalog.records import ContentVector, ItemCard, ItemEntry, ItemRecord, ItemText, ServingRow
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import Item, ItemVector

SYNC_BATCH = 1000
"""Changed items read per statement by a sync (an IN list of at most this many ids)."""


def _card(item: Item) -> ItemCard:
    return ItemCard(item.item_id, item.title, item.category, item.published_at, item.available)


def _record(item: Item) -> ItemRecord:
    return ItemRecord(
        item_id=item.item_id,
        title=item.title,
        text=item.text,
        tags=list(item.tags or []),
        category=item.category,
        available=item.available,
        published_at=item.published_at,
        metadata=dict(item.meta or {}),
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


class ItemRepository:
    def __init__(self, database: Database) -> None:
        self.database = database

    # --- writes ---------------------------------------------------------------------------------

    def save(
        self,
        entries: Sequence[ItemEntry],
        hashes: Mapping[str, str],
        vectors: Sequence[ContentVector],
        embedder_id: str,
        now: datetime,
    ) -> tuple[set[str], list[ItemCard]]:
        """Insert or update `entries` (one per id) and store `vectors`, in one transaction.

        An entry without `published_at` keeps the stored one (a new item gets `now`). Returns the ids that
        were created and each entry's card, in order.
        """
        with self.database.session() as session:
            ids = [e.item_id for e in entries]
            existing = {i.item_id: i for i in session.scalars(select(Item).where(Item.item_id.in_(ids)))}
            created: set[str] = set()
            items: list[Item] = []
            for fields in entries:
                item = existing.get(fields.item_id)
                if item is None:
                    item = Item(item_id=fields.item_id, created_at=now)
                    session.add(item)
                    created.add(fields.item_id)
                item.title = fields.title
                item.text = fields.text
                item.tags = list(fields.tags)
                item.category = fields.category
                item.available = fields.available
                item.published_at = fields.published_at or (
                    now if fields.item_id in created else item.published_at
                )
                item.meta = fields.metadata
                item.content_hash = hashes[fields.item_id]
                item.updated_at = now
                items.append(item)
            session.flush()  # the items exist before the vectors that reference them
            self._store_vectors(session, vectors, embedder_id, now)
            return created, [_card(i) for i in items]

    def save_vectors(self, vectors: Sequence[ContentVector], embedder_id: str, now: datetime) -> None:
        with self.database.session() as session:
            self._store_vectors(session, vectors, embedder_id, now)

    def _store_vectors(
        self, session: Session, vectors: Sequence[ContentVector], embedder_id: str, now: datetime
    ) -> None:
        """One vector row per item: an existing row (of any embedder) is overwritten in place."""
        if not vectors:
            return
        ids = [v.item_id for v in vectors]
        existing = {
            v.item_id: v for v in session.scalars(select(ItemVector).where(ItemVector.item_id.in_(ids)))
        }
        for item_id, digest, vector in vectors:
            row = existing.get(item_id)
            if row is None:
                row = ItemVector(item_id=item_id)
                session.add(row)
            row.embedder = embedder_id
            row.content_hash = digest
            row.dim = int(vector.shape[0])
            row.vector = vector.astype(np.float32).tobytes()
            row.updated_at = now
        session.flush()

    def withdraw(self, item_id: str, now: datetime) -> ItemCard | None:
        """Mark the item unavailable; its card as it now is, or None when there is no such item."""
        with self.database.session() as session:
            item = session.get(Item, item_id)
            if item is None:
                return None
            item.available = False
            item.updated_at = now
            return _card(item)

    def remove(self, item_id: str) -> bool:
        """Delete the item's row and its vector; False when there is no such item."""
        with self.database.session() as session:
            item = session.get(Item, item_id)
            if item is None:
                return False
            session.execute(delete(ItemVector).where(ItemVector.item_id == item_id))
            session.delete(item)
            return True

    # --- reads ----------------------------------------------------------------------------------

    def get(self, item_id: str) -> ItemRecord | None:
        with self.database.session() as session:
            item = session.get(Item, item_id)
            return _record(item) if item is not None else None

    def vectors(self, item_ids: Collection[str], embedder_id: str) -> dict[str, ContentVector]:
        """The stored vectors of `embedder_id` for these items (those that have one), by item id."""
        if not item_ids:
            return {}
        with self.database.engine.connect() as connection:
            rows = connection.execute(
                select(ItemVector.item_id, ItemVector.content_hash, ItemVector.vector).where(
                    ItemVector.item_id.in_(list(item_ids)), ItemVector.embedder == embedder_id
                )
            ).all()
        return {
            item_id: ContentVector(item_id, digest, np.frombuffer(blob, dtype=np.float32))
            for item_id, digest, blob in rows
        }

    def all_vectors(self, embedder_id: str) -> tuple[dict[str, np.ndarray], dict[str, datetime | None]]:
        """({item_id: float32 vector}, {item_id: published_at}) for every item embedded by `embedder_id`
        (a training set's content side)."""
        vectors: dict[str, np.ndarray] = {}
        published: dict[str, datetime | None] = {}
        with self.database.session() as session:
            stmt = (
                select(ItemVector.item_id, ItemVector.vector, Item.published_at)
                .join(Item, Item.item_id == ItemVector.item_id)
                .where(ItemVector.embedder == embedder_id)
            )
            for r in session.execute(stmt):
                vectors[r.item_id] = np.frombuffer(r.vector, dtype=np.float32)
                published[r.item_id] = r.published_at
        return vectors, published

    def lacking_vectors(self, embedder_id: str) -> list[ItemText]:
        """Items without a current vector: none stored, another embedder's, or computed from older text."""
        with self.database.session() as session:
            rows = session.execute(
                select(Item.item_id, Item.content_hash, Item.title, Item.text, Item.tags, Item.category)
                .outerjoin(ItemVector, ItemVector.item_id == Item.item_id)
                .where(
                    (ItemVector.item_id.is_(None))
                    | (ItemVector.embedder != embedder_id)
                    | (ItemVector.content_hash != Item.content_hash)
                )
            ).all()
        return [ItemText(r.item_id, r.content_hash, r.title, r.text, r.tags or [], r.category) for r in rows]

    # --- the live catalog's sync ----------------------------------------------------------------

    def sync_window(self, since: datetime, embedder_id: str) -> tuple[int, datetime | None, datetime | None]:
        """(items updated since `since`, their newest `updated_at`, the embedder's newest vector `updated_at`).

        Index-only reads (no join): a join over a bulk-loaded window cost 0.14 s at 100k items, every sync,
        on every worker. Any vector written anywhere moves the vectors' max.
        """
        with self.database.engine.connect() as connection:
            count, newest_item = connection.execute(
                select(func.count(), func.max(Item.updated_at)).where(Item.updated_at >= since)
            ).one()
            newest_vector = connection.scalar(
                select(func.max(ItemVector.updated_at)).where(ItemVector.embedder == embedder_id)
            )
        return int(count), newest_item, newest_vector

    def change_stamps(self, since: datetime, embedder_id: str) -> list[tuple[str, datetime, datetime | None]]:
        """(item_id, item `updated_at`, vector `updated_at`) of every item updated since `since`."""
        with self.database.engine.connect() as connection:
            rows = connection.execute(
                select(Item.item_id, Item.updated_at, ItemVector.updated_at)
                .outerjoin(ItemVector, self._vector_of(embedder_id))
                .where(Item.updated_at >= since)
            ).all()
        return [(item_id, item_at, vector_at) for item_id, item_at, vector_at in rows]

    def serving_rows(self, embedder_id: str, item_ids: Sequence[str] | None = None) -> Iterator[ServingRow]:
        """Every item (or those in `item_ids`) with its card, its vector of `embedder_id` if stored, and the
        two row timestamps."""
        stmt = select(
            Item.item_id,
            Item.title,
            Item.category,
            Item.published_at,
            Item.available,
            Item.updated_at,
            ItemVector.vector,
            ItemVector.updated_at,
        ).outerjoin(ItemVector, self._vector_of(embedder_id))
        batches = (
            [stmt]
            if item_ids is None
            else [
                stmt.where(Item.item_id.in_(item_ids[i : i + SYNC_BATCH]))
                for i in range(0, len(item_ids), SYNC_BATCH)
            ]
        )
        with self.database.engine.connect() as connection:
            for batch in batches:
                for (
                    item_id,
                    title,
                    category,
                    published,
                    available,
                    item_at,
                    blob,
                    vector_at,
                ) in connection.execute(batch):
                    yield ServingRow(
                        ItemCard(item_id, title, category, published, available),
                        np.frombuffer(blob, dtype=np.float32) if blob is not None else None,
                        item_at,
                        vector_at,
                    )

    @staticmethod
    def _vector_of(embedder_id: str) -> ColumnElement[bool]:
        return (ItemVector.item_id == Item.item_id) & (ItemVector.embedder == embedder_id)
