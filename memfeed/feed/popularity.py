"""Recent popularity and freshness: the non-personal signals behind cold feeds and the re-rank prior."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from memfeed.catalog.records import ItemCard
from memfeed.events.repository import EventRepository
from memfeed.events.weights import decay


def recent_popularity(events: EventRepository, now: datetime, window_days: float) -> dict[str, float]:
    """Distinct engaged users per item over the window, log-scaled to 0..1 (1 = the most popular item)."""
    rows = events.engaged_users(now - timedelta(days=window_days))
    if not rows:
        return {}
    top = math.log1p(max(count for _, count in rows))
    return {item_id: math.log1p(count) / top for item_id, count in rows}


def freshness(published_at: datetime | None, now: datetime, half_life_days: float) -> float:
    if published_at is None:
        return 0.0
    return decay((now - published_at).total_seconds() / 86400.0, half_life_days)


def freshness_many(published: Sequence[datetime | None], now: datetime, half_life_days: float) -> np.ndarray:
    """`freshness` of many items at once (float32): the feed scores hundreds of candidates per page."""
    ts = np.fromiter(
        (p.timestamp() if p is not None else np.nan for p in published),
        dtype=np.float64,
        count=len(published),
    )
    unknown = np.isnan(ts)
    if half_life_days <= 0:
        return np.where(unknown, 0.0, 1.0).astype(np.float32)
    age_days = np.maximum((now.timestamp() - np.where(unknown, 0.0, ts)) / 86400.0, 0.0)
    return np.where(unknown, 0.0, np.power(0.5, age_days / half_life_days)).astype(np.float32)


def engagement_age_days(
    positives: Iterable[tuple[str, datetime]], published: dict[str, datetime | None], quantile: float
) -> float | None:
    """How old items are when users engage with them (the `quantile` of ages, in days): the catalog's own
    time scale for "fresh" (a day for news, years for films). None without usable data."""
    ages = [
        (ts - p).total_seconds() / 86400.0
        for item, ts in positives
        if (p := published.get(item)) is not None and ts >= p
    ]
    if len(ages) < 20:
        return None
    ages.sort()
    return max(ages[min(int(len(ages) * quantile), len(ages) - 1)], 0.1)


@dataclass(frozen=True)
class ColdEntry:
    item_id: str
    score: float
    reason: str


def cold_ranking(
    cards: Sequence[ItemCard], popularity: dict[str, float], now: datetime, fresh_half_life_days: float
) -> list[ColdEntry]:
    """Available items ordered by a popular-and-fresh blend, each with the reason it ranks."""
    ranked: list[ColdEntry] = []
    for card in cards:
        if not card.available:
            continue
        pop = popularity.get(card.item_id, 0.0)
        fresh = freshness(card.published_at, now, fresh_half_life_days)
        score = 0.7 * pop + 0.3 * fresh
        reason = "popular now" if 0.7 * pop >= 0.3 * fresh else "new this week"
        ranked.append(ColdEntry(card.item_id, score, reason))
    ranked.sort(key=lambda e: (-e.score, e.item_id))
    return ranked
