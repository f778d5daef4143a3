"""The personalized feed and similar items.

A page: the user's profile from their latest events -> candidates (ANN around the profile vector, around
each strongest anchor item, plus popular/fresh backfill) -> exclusions (seen, hidden, disliked,
unavailable, already served in this cursor chain) -> a vectorized re-rank (relevance to the profile and to
the best anchor, push-away from negatives, popularity and freshness priors) -> reasons -> cursor.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeGuard

import numpy as np
from sqlalchemy import select

from memfeed.catalog.live import LiveCatalog
from memfeed.catalog.service import ItemCard
from memfeed.events.records import Interaction
from memfeed.events.repository import EventRepository
from memfeed.feed.cursor import CursorCodec, item_digest
from memfeed.feed.neighbours import NeighbourCache
from memfeed.feed.popularity import ColdEntry, cold_ranking, freshness_many, recent_popularity
from memfeed.feed.profile import Profile, StatedPreference, build_profile, item_weights, user_signals
from memfeed.feed.ranking import (
    RankWeights,
    UserSignals,
    freshness_half_life,
    score_candidates,
    serving_weights,
    top_k,
)
from memfeed.model.bundle import ServingModel
from memfeed.platform.errors import ItemNotFound
from memfeed.platform.settings import Settings
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.schema import ItemVector
from memfeed.platform.storage.types import utcnow
from memfeed.platform.telemetry import Telemetry

ANCHOR_REASON_MIN_SIMILARITY = 0.35
STATED_REASON_MIN = 0.25
"""A stated preference is a short sentence, not an item: its similarity to matching items runs lower."""


def _quote(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


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


class FeedService:
    """Serves feeds over one `LiveCatalog`; popularity is recomputed at most every refresh interval."""

    def __init__(
        self, database: Database, catalog: LiveCatalog, settings: Settings, codec: CursorCodec
    ) -> None:
        self.database = database
        self.events = EventRepository(database)
        self.catalog = catalog
        self.settings = settings
        self.codec = codec
        self._popularity: dict[str, float] = {}
        self._cold: list[ColdEntry] = []
        self._popularity_at = 0.0
        self._cold_at = 0.0
        self._cold_version = -1
        self._lock = threading.Lock()
        self.popularity_in_background = False
        self.model: ServingModel | None = None
        """The champion model; replaced whole by `ModelWatcher` (requests read it once)."""
        self.stated_preferences: Callable[[str], Sequence[StatedPreference]] = lambda _user: ()
        """The user's stated preferences (their `preference` memories); the runtime wires in the memory store."""
        self.telemetry = Telemetry()
        self.neighbours = NeighbourCache()
        """Anchor items' neighbourhoods, shared by every user's pages (memfeed/feed/neighbours.py)."""

    @property
    def content_version(self) -> str:
        """What ranks feeds before any trained model is loaded."""
        return f"content:{self.catalog.embedder_id}"

    @property
    def model_version(self) -> str:
        model = self.model
        return model.version if model else self.content_version

    # --- non-personal signals -------------------------------------------------------------------

    def refresh_popularity(self, *, force: bool = False) -> None:
        """Recompute popularity when stale, and the cold ranking when popularity or the catalog changed.

        One caller recomputes while the others keep serving the previous ranking. Catalog changes rebuild
        the ranking at most once a second (a sort, no database work). When `popularity_in_background` is
        set (the API's lifespan task refreshes it), requests never run the popularity query themselves.
        """
        clock = time.monotonic()
        due = clock - self._popularity_at >= self.settings.popularity_refresh_seconds
        stale_popularity = force or (due and not self.popularity_in_background)
        stale_catalog = self._cold_version != self.catalog.version and (
            not self._cold or clock - self._cold_at >= 1.0
        )
        if not (stale_popularity or stale_catalog) or not self._lock.acquire(blocking=force):
            return
        try:
            now = utcnow()
            if stale_popularity:
                self._popularity = recent_popularity(
                    self.events, now, self.settings.feed_popularity_window_days
                )
                self._popularity_at = clock
            self._cold_version = self.catalog.version
            self._cold = cold_ranking(
                self.catalog.cards(), self._popularity, now, self.freshness_days(self.model)
            )
            self._cold_at = clock
        finally:
            self._lock.release()

    # --- feed -----------------------------------------------------------------------------------

    def feed(self, query: FeedQuery) -> FeedPage:
        served = self.codec.decode(query.cursor, query.scope) if query.cursor else set()
        self.refresh_popularity()
        model = self.model  # one read: a swap mid-request cannot mix two versions
        now = utcnow()
        interactions = self._interactions(query.user_id)
        profile = build_profile(
            interactions,
            self._vectors,
            now=now,
            half_life_days=self.settings.feed_half_life_days,
            negative_weight=self.settings.feed_negative_weight,
            stated=self.stated_preferences(query.user_id),
            stated_weight=self.settings.feed_preference_weight,
        )
        factors = self._user_factors(model, query.user_id, interactions, now) if model else None
        blocked = profile.seen | set(query.exclude)
        if profile.is_cold and factors is None and not profile.stated:
            items = self._cold_page(query, blocked, served)
            self.telemetry.count("feed_pages", kind="cold")
        else:
            items = self._personal_page(query, profile, factors, model, blocked, served, now)
            self.telemetry.count("feed_pages", kind="personal")
        next_cursor = None
        total_served = len(served) + len(items)
        if len(items) == query.limit and total_served < self.settings.feed_max_cursor_items:
            next_cursor = self.codec.encode(query.scope, served | {item_digest(i.item_id) for i in items})
        version = model.version if model else self.content_version
        return FeedPage(items, next_cursor, version)

    def _user_factors(
        self, model: ServingModel, user_id: str, interactions: list[Interaction], now: datetime
    ) -> np.ndarray | None:
        """The model's factors for this user, or an exact ALS fold-in when they acted after the model's data.

        Stored factors serve only a user who still has events: an erased user (events gone) never gets the
        model's row back, even from a worker that has not yet dropped it (memfeed/privacy/service.py).
        """
        newest = interactions[0].ts if interactions else None
        if model.watermark is not None and newest is not None and newest <= model.watermark:
            stored = model.factors.stored_user(user_id)
            if stored is not None:
                return stored
        weights, _ = item_weights(interactions, now, model.params.half_life_days)
        self.telemetry.count("feed_fold_ins")
        return model.factors.fold_in(weights)

    def _interactions(self, user_id: str) -> list[Interaction]:
        return self.events.latest_interactions(user_id, self.settings.feed_history_events)

    def _vectors(self, item_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Vectors from the live index, falling back to the database for withdrawn (unavailable) items."""
        found, matrix = self.catalog.index.get_many(item_ids)
        known = set(found)
        missing = [i for i in item_ids if i not in known]
        if not missing:
            return found, matrix
        with self.database.session() as session:
            rows = session.execute(
                select(ItemVector.item_id, ItemVector.vector).where(
                    ItemVector.item_id.in_(missing), ItemVector.embedder == self.catalog.embedder_id
                )
            ).all()
        if not rows:
            return found, matrix
        extra = np.vstack([np.frombuffer(r.vector, dtype=np.float32) for r in rows])
        return found + [r.item_id for r in rows], np.vstack([matrix.reshape(-1, self.catalog.dim), extra])

    def _eligible(self, card: ItemCard | None, query: FeedQuery) -> TypeGuard[ItemCard]:
        return (
            card is not None
            and card.available
            and (query.category is None or card.category == query.category)
        )

    def _cold_page(self, query: FeedQuery, blocked: set[str], served: set[bytes]) -> list[FeedItem]:
        page: list[FeedItem] = []
        for entry in self._cold:
            if entry.item_id in blocked or item_digest(entry.item_id) in served:
                continue
            card = self.catalog.card(entry.item_id)
            if card is None or not self._eligible(card, query):
                continue
            page.append(FeedItem(entry.item_id, card.title, round(entry.score, 6), entry.reason))
            if len(page) == query.limit:
                break
        return page

    def _candidates(
        self,
        query: FeedQuery,
        signals: UserSignals,
        anchors: Sequence[str | StatedPreference],
        model: ServingModel | None,
        blocked: set[str],
        n_served: int,
    ) -> list[str]:
        """ANN around the taste, each anchor, and (with a model) the hybrid vector, plus cold backfill.

        Served items are filtered after the search (the cursor holds digests), so the pool widens by them.
        """
        index = self.catalog.index
        widen = 8 if query.category else 1
        pool = min(len(index), (max(200, 4 * query.limit) + n_served) * widen)
        ids: set[str] = set()
        if signals.taste is not None:
            ids.update(i for i, _ in index.search(signals.taste, pool, exclude=blocked))
        if len(signals.anchors):
            ids.update(
                self.neighbours.unblocked(self.catalog, signals.anchors, anchors, max(50, pool // 4), blocked)
            )
        if model is not None:
            query_vector = model.hybrid_query(signals.taste, signals.factors)
            if query_vector is not None:
                ids.update(i for i, _ in model.hybrid.search(query_vector, pool, exclude=blocked))
        ids.update(e.item_id for e in self._cold[:100])
        return sorted(ids - blocked)

    def _personal_page(
        self,
        query: FeedQuery,
        profile: Profile,
        factors: np.ndarray | None,
        model: ServingModel | None,
        blocked: set[str],
        served: set[bytes],
        now: datetime,
    ) -> list[FeedItem]:
        signals, anchor_ids = user_signals(
            profile,
            self._vectors,
            anchor_count=self.settings.feed_anchor_count,
            dim=self.catalog.dim,
            factors=factors,
        )
        card_of = self.catalog.card
        eligible: dict[str, ItemCard] = {}
        for c in self._candidates(query, signals, anchor_ids, model, blocked, len(served)):
            card = card_of(c)
            if self._eligible(card, query) and not (served and item_digest(c) in served):
                eligible[c] = card
        found, content = self.catalog.index.get_many(list(eligible))
        self.telemetry.count("feed_candidates", len(found))
        if not found:
            return []
        cards = [eligible[c] for c in found]
        popularity = self._popularity
        pop = np.fromiter((popularity.get(c, 0.0) for c in found), dtype=np.float32, count=len(found))
        fresh = freshness_many([card.published_at for card in cards], now, self.freshness_days(model))
        factor_rows, explore = model.factor_rows(found, content) if model else (None, None)
        scored = score_candidates(signals, content, factor_rows, pop, fresh, self.rank_weights(model))
        verbs = {a: verb for a, _, verb in profile.anchors}
        page = []
        slots = self.settings.feed_new_item_slots
        for i in top_k(scored.score, found, query.limit, explore=explore, slots=slots):
            card = cards[i]
            anchor = anchor_ids[int(scored.best_anchor[i])] if anchor_ids else None
            if isinstance(anchor, StatedPreference) and scored.anchor_similarity[i] >= STATED_REASON_MIN:
                reason = f"because you said: {_quote(anchor.text)}"
            elif isinstance(anchor, str) and scored.anchor_similarity[i] >= ANCHOR_REASON_MIN_SIMILARITY:
                anchor_card = self.catalog.card(anchor)
                reason = (
                    f"because you {verbs.get(anchor, 'liked')} {anchor_card.title if anchor_card else anchor}"
                )
            elif pop[i] >= 0.5:
                reason = "popular now"
            elif factors is not None:
                reason = "people with similar taste liked this"
            else:
                reason = "matches your interests"
            page.append(FeedItem(card.item_id, card.title, round(float(scored.score[i]), 6), reason))
        return page

    def freshness_days(self, model: ServingModel | None) -> float:
        return freshness_half_life(self.settings, model.freshness_days if model else None)

    def rank_weights(self, model: ServingModel | None) -> RankWeights:
        return serving_weights(self.settings, model.params.cf_weight if model else 0.0)

    # --- similar items --------------------------------------------------------------------------

    def similar(self, item_id: str, limit: int) -> list[tuple[str, float]]:
        """Available items nearest to `item_id`'s content vector, itself excluded."""
        found, matrix = self._vectors([item_id])
        if not found or self.catalog.card(item_id) is None:
            raise ItemNotFound(f"item {item_id!r} not found")
        return self.catalog.index.search(matrix[0], limit, exclude={item_id})
