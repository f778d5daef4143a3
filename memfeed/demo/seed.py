"""Seeds the project's own generated demo data through the same code paths the API uses."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from memfeed.catalog.service import CatalogService
from memfeed.demo.data import DemoDataset, generate_demo
from memfeed.events.service import EventService
from memfeed.feed.service import FeedService

log = logging.getLogger("memfeed.demo.seed")

ITEM_BATCH = 1000
EVENT_BATCH = 500


@dataclass(frozen=True)
class SeedSummary:
    items: int
    users: int
    accepted: int
    duplicates: int
    busiest_user: str
    sample_items: tuple[str, str]


def seed_demo(
    catalog: CatalogService,
    events: EventService,
    feeds: FeedService,
    save_user: Callable[[str, dict[str, Any]], object],
    dataset: DemoDataset | None = None,
) -> SeedSummary:
    """Upsert the demo catalog, users (with their tastes as traits, through `save_user(user_id, traits)`)
    and events; idempotent on re-run."""
    data = dataset or generate_demo()
    items = [
        {
            "item_id": i.item_id,
            "title": i.title,
            "text": i.text,
            "tags": list(i.tags),
            "category": i.category,
            "published_at": i.published_at,
        }
        for i in data.items
    ]
    for start in range(0, len(items), ITEM_BATCH):
        outcome = catalog.upsert_items(items[start : start + ITEM_BATCH])
        if outcome.errors:
            raise RuntimeError(f"demo items rejected: {outcome.errors[:3]}")
    for user in data.users:
        save_user(user.user_id, {"tastes": list(user.tastes), "dislikes": list(user.dislikes)})
    rows = [
        {
            "event_id": e.event_id,
            "user_id": e.user_id,
            "item_id": e.item_id,
            "type": e.type,
            "value": e.value,
            "timestamp": e.timestamp,
        }
        for e in data.events
    ]
    accepted = duplicates = 0
    for start in range(0, len(rows), EVENT_BATCH):
        result = events.ingest(rows[start : start + EVENT_BATCH])
        if result.rejected:
            raise RuntimeError(f"demo events rejected: {result.rejected[:3]}")
        accepted += result.accepted
        duplicates += result.duplicates
    feeds.refresh_popularity(force=True)
    busiest = Counter(e.user_id for e in data.events).most_common(1)[0][0]
    seen = {e.item_id for e in data.events if e.user_id == busiest}
    unseen = [i.item_id for i in data.items if i.item_id not in seen]
    return SeedSummary(len(items), len(data.users), accepted, duplicates, busiest, (unseen[0], unseen[1]))
