"""What the feed takes in and hands out: frozen dataclasses, nothing the router must look up."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class FeedQuery:
    user_id: str
    limit: int = 20
    cursor: str | None = None
    category: str | None = None
    exclude: tuple[str, ...] = ()

    @property
    def scope(self) -> str:
        """What a cursor is bound to: the user and the filters."""
        key = "\x1f".join([self.user_id, self.category or "", *sorted(self.exclude)])
        return hashlib.blake2b(key.encode(), digest_size=12).hexdigest()


@dataclass(frozen=True)
class FeedItem:
    item_id: str
    title: str
    score: float
    reason: str


@dataclass(frozen=True)
class FeedPage:
    items: list[FeedItem]
    next_cursor: str | None
    model_version: str


@dataclass(frozen=True)
class SimilarItem:
    """An item near another by content; `score` is the cosine similarity, rounded to 6 places."""

    item_id: str
    title: str
    score: float
