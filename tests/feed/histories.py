"""Generated histories with a known answer, shared by the feed's HTTP tests and `memfeed recommend`'s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import TOPIC_TITLES, Api

HEAVY_ITEMS = 400
HEAVY_OLD_ITEMS = 300
"""Items 0..299 hold the user's first 1,500 events (5 each): all older than the latest 500."""
HEAVY_RECENT_ITEMS = 50
"""Items 300..349 hold the latest 500 events (10 each); items 350..399 the user never touched."""


def heavy_catalog() -> list[dict[str, Any]]:
    titles = [t for topic in TOPIC_TITLES.values() for t in topic]
    return [
        {"item_id": f"item-{n:03d}", "title": f"{titles[n % len(titles)]}, part {n // len(titles) + 1}"}
        for n in range(HEAVY_ITEMS)
    ]


def heavy_events(user: str) -> list[dict[str, Any]]:
    """2,000 events, oldest first: four times the feed's 500-event history."""
    start = datetime.now(UTC) - timedelta(days=300)
    kinds = ["view", "click", "like", "view", "skip"]
    old = [(f"item-{n // 5:03d}", kinds[n % 5]) for n in range(HEAVY_OLD_ITEMS * 5)]
    recent = [(f"item-{HEAVY_OLD_ITEMS + n // 10:03d}", kinds[n % 5]) for n in range(HEAVY_RECENT_ITEMS * 10)]
    return [
        {
            "event_id": f"{user}-{n}",
            "user_id": user,
            "item_id": item,
            "type": kind,
            "timestamp": (start + timedelta(hours=3 * n)).isoformat(),
        }
        for n, (item, kind) in enumerate(old + recent)
    ]


def send_in_batches(api: Api, events: list[dict[str, Any]], size: int = 500) -> None:
    for start in range(0, len(events), size):
        batch = events[start : start + size]
        result = api.send(batch)
        assert result["accepted"] == len(batch), result


def untouched_items() -> set[str]:
    return {f"item-{n:03d}" for n in range(HEAVY_OLD_ITEMS + HEAVY_RECENT_ITEMS, HEAVY_ITEMS)}
