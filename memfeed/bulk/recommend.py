"""Batch recommendations through exactly the feed's code path (profile, candidates, exclusions, re-rank)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from memfeed.feed.records import FeedItem, FeedQuery
from memfeed.feed.service import FeedService


def read_user_ids(path: Path) -> Iterator[str]:
    """One user id per line; blank lines and a `user_id` header are skipped."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            user = line.strip().split(",")[0]
            if user and user != "user_id":
                yield user


def recommend(
    feeds: FeedService, user_ids: Iterable[str], k: int, *, workers: int = 4
) -> Iterator[tuple[str, list[FeedItem]]]:
    """First feed page of size `k` per user, in input order (threads overlap the database and FAISS work)."""

    def page(user: str) -> tuple[str, list[FeedItem]]:
        return user, feeds.feed(FeedQuery(user, limit=k)).items

    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(page, user_ids)


def write_csv(rows: Iterable[tuple[str, list[FeedItem]]], path: Path) -> int:
    """CSV `user_id,rank,item_id,score`; returns the number of users written."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["user_id", "rank", "item_id", "score"])
        for user, items in rows:
            count += 1
            for rank, item in enumerate(items, start=1):
                writer.writerow([user, rank, item.item_id, f"{item.score:.6f}"])
    return count
