"""The personalized feed and similar items.

A page: the user's profile from their latest events (decayed relative to the newest of them) -> candidates
(ANN around the profile vector, around each strongest anchor item, plus popular/fresh backfill;
memfeed/feed/candidates.py) -> exclusions (every item the user ever had an event on, unavailable, excluded,
already served in this cursor chain) -> a vectorized re-rank (relevance to the profile and to the best anchor,
push-away from negatives, popularity and freshness priors) -> reasons (memfeed/feed/reasons.py) -> cursor.
A page is never short while the catalog has eligible items: the cold ranking fills it. Pages are cached
(memfeed/feed/page_cache.py) and so are similar items.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import TypeGuard

import numpy as np

from memfeed.catalog.live import LiveCatalog
from memfeed.catalog.records import ItemCard
from memfeed.catalog.repository import ItemRepository
from memfeed.events.records import Interaction
from memfeed.events.repository import EventRepository
from memfeed.feed.candidates import gather_candidates
from memfeed.feed.cursor import CursorCodec, item_digest
from memfeed.feed.neighbours import NeighbourCache
from memfeed.feed.page_cache import PageCache
from memfeed.feed.popularity import ColdEntry, cold_ranking, freshness_many, recent_popularity
from memfeed.feed.profile import Profile, StatedPreference, build_profile, item_weights, user_signals
from memfeed.feed.ranking import RankWeights, freshness_half_life, score_candidates, serving_weights, top_k
from memfeed.feed.reasons import personal_reason
from memfeed.feed.records import FeedItem, FeedPage, FeedQuery, SimilarItem
from memfeed.feed.repository import FeedRepository
from memfeed.model.bundle import ServingModel
from memfeed.platform.cache import LocalCache, ResponseCache
from memfeed.platform.errors import ItemNotFound
from memfeed.platform.settings import Settings
from memfeed.platform.storage.db import Database
from memfeed.platform.storage.types import utcnow
from memfeed.platform.telemetry import Telemetry

SIMILAR_CACHE_ENTRIES = 4096


def no_stated_preferences(_user_id: str) -> Sequence[StatedPreference]:
    return ()


class FeedService:
    """Feeds and similar items over one `LiveCatalog`, with the serving model swapped in whole by
    `set_model`; popularity is recomputed at most every refresh interval.

    `stated_preferences` gives a user's stated tastes (their `preference` memories); `page_cache` is where
    pages are kept (None: not cached). `popularity_in_background`: a background task refreshes popularity,
    so requests never run its query themselves.
    """

    def __init__(
        self,
        database: Database,
        live: LiveCatalog,
        settings: Settings,
        codec: CursorCodec,
        telemetry: Telemetry,
        *,
        stated_preferences: Callable[[str], Sequence[StatedPreference]] = no_stated_preferences,
        page_cache: ResponseCache | None = None,
        popularity_in_background: bool = False,
    ) -> None:
        self.live = live
        self.settings = settings
        self.codec = codec
        self.telemetry = telemetry
        self.stated_preferences = stated_preferences
        self.popularity_in_background = popularity_in_background
        self.events = EventRepository(database)
        self.items = ItemRepository(database)
        self.pages = (
            PageCache(
                page_cache,
                FeedRepository(database),
                settings.feed_cache_seconds,
                settings.popularity_refresh_seconds,
            )
            if page_cache is not None
            else None
        )
        self._similar = LocalCache(SIMILAR_CACHE_ENTRIES)
        """Similar items by (item, limit, catalog version): in process, since the catalog version is."""
        self.neighbours = NeighbourCache()
        """Anchor items' neighbourhoods, shared by every user's pages (memfeed/feed/neighbours.py)."""
        self._model: ServingModel | None = None
        self._popularity: dict[str, float] = {}
        self._cold: list[ColdEntry] = []
        self._popularity_at = 0.0
        self._cold_at = 0.0
        self._cold_version = -1
        self._lock = threading.Lock()

    # --- the serving model ----------------------------------------------------------------------

    @property
    def model(self) -> ServingModel | None:
        """The champion model, or None (content only). Requests read it once: a swap mid-request cannot mix
        two versions."""
        return self._model

    def set_model(self, model: ServingModel) -> None:
        """Serve `model` from the next request on (one reference assignment; `ModelWatcher` calls it)."""
        self._model = model

    @property
    def content_version(self) -> str:
        """What ranks feeds before any trained model is loaded."""
        return f"content:{self.live.embedder_id}"

    @property
    def model_version(self) -> str:
        model = self._model
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
        stale_catalog = self._cold_version != self.live.version and (
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
            self._cold_version = self.live.version
            self._cold = cold_ranking(
                self.live.cards(), self._popularity, now, self.freshness_days(self._model)
            )
            self._cold_at = clock
        finally:
            self._lock.release()

    # --- feed -----------------------------------------------------------------------------------

    def feed(self, query: FeedQuery) -> FeedPage:
        """The user's next page, from the page cache when nothing it depends on changed."""
        pages = self.pages
        if pages is None or not pages.enabled:
            return self._page(query)
        version = self.model_version
        key = pages.key(query, version)
        cached = pages.get(key)
        if cached is not None and all(self._available(item.item_id) for item in cached.items):
            self.telemetry.count("cache_requests", cache="feed", result="hit")
            return cached
        self.telemetry.count("cache_requests", cache="feed", result="miss")
        page = self._page(query)
        if page.model_version == version:  # a model swapped mid-request: the page is not the key's
            pages.put(key, page)
        return page

    def _available(self, item_id: str) -> bool:
        card = self.live.card(item_id)
        return card is not None and card.available

    def _page(self, query: FeedQuery) -> FeedPage:
        served = self.codec.decode(query.cursor, query.scope) if query.cursor else set()
        self.refresh_popularity()
        model = self._model  # one read: a swap mid-request cannot mix two versions
        now = utcnow()
        interactions = self.events.latest_interactions(query.user_id, self.settings.feed_history_events)
        profile = build_profile(
            interactions,
            self._vectors,
            half_life_days=self.settings.feed_half_life_days,
            negative_weight=self.settings.feed_negative_weight,
            stated=self.stated_preferences(query.user_id),
            stated_weight=self.settings.feed_preference_weight,
        )
        factors = self._user_factors(model, query.user_id, interactions) if model else None
        blocked = profile.seen | set(query.exclude)
        if len(interactions) >= self.settings.feed_history_events:  # else the profile read every event
            blocked |= self.seen_items(query.user_id)
        if profile.is_cold and factors is None and not profile.stated:
            items = self._cold_page(query, blocked, served, query.limit)
            self.telemetry.count("feed_pages", kind="cold")
        else:
            items = self._personal_page(query, profile, factors, model, blocked, served, now)
            self.telemetry.count("feed_pages", kind="personal")
            if len(items) < query.limit:  # never short while eligible items remain (e.g. no vector found)
                on_page = blocked | {i.item_id for i in items}
                items += self._cold_page(query, on_page, served, query.limit - len(items))
        next_cursor = None
        total_served = len(served) + len(items)
        if len(items) == query.limit and total_served < self.settings.feed_max_cursor_items:
            next_cursor = self.codec.encode(query.scope, served | {item_digest(i.item_id) for i in items})
        version = model.version if model else self.content_version
        return FeedPage(items, next_cursor, version)

    def seen_items(self, user_id: str) -> set[str]:
        """Every item the user has an event on, however old (the profile reads only the latest
        `MEMFEED_FEED_HISTORY_EVENTS`): the one read to swap for a set kept at write time."""
        return self.events.seen_items(user_id)

    def _user_factors(
        self, model: ServingModel, user_id: str, interactions: list[Interaction]
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
        weights, _ = item_weights(interactions, model.params.half_life_days)
        self.telemetry.count("feed_fold_ins")
        return model.factors.fold_in(weights)

    def _vectors(self, item_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
        """Vectors from the live index, falling back to the database for withdrawn (unavailable) items."""
        found, matrix = self.live.index.get_many(item_ids)
        known = set(found)
        missing = [i for i in item_ids if i not in known]
        if not missing:
            return found, matrix
        stored = self.items.vectors(missing, self.live.embedder_id)
        if not stored:
            return found, matrix
        extra = np.vstack([v.vector for v in stored.values()])
        return found + list(stored), np.vstack([matrix.reshape(-1, self.live.dim), extra])

    def _eligible(self, card: ItemCard | None, query: FeedQuery) -> TypeGuard[ItemCard]:
        return (
            card is not None
            and card.available
            and (query.category is None or card.category == query.category)
        )

    def _cold_eligible(
        self, query: FeedQuery, skip: set[str], served: set[bytes]
    ) -> Iterator[tuple[ColdEntry, ItemCard]]:
        """The cold ranking (popular and fresh, best first) with every item skipped, already served in this
        cursor chain or not eligible for the query left out."""
        for entry in self._cold:
            if entry.item_id in skip or (served and item_digest(entry.item_id) in served):
                continue
            card = self.live.card(entry.item_id)
            if self._eligible(card, query):
                yield entry, card

    def _cold_page(
        self, query: FeedQuery, blocked: set[str], served: set[bytes], limit: int
    ) -> list[FeedItem]:
        """The best `limit` eligible items of the cold ranking, with its scores and reasons."""
        return [
            FeedItem(entry.item_id, card.title, round(entry.score, 6), entry.reason)
            for entry, card in islice(self._cold_eligible(query, blocked, served), max(limit, 0))
        ]

    def _cold_candidates(
        self, query: FeedQuery, skip: set[str], served: set[bytes], wanted: int
    ) -> dict[str, ItemCard]:
        """Up to `wanted` eligible cold items beyond the candidate pool: they widen a pool that exclusions and
        filters left smaller than the page."""
        return {
            entry.item_id: card for entry, card in islice(self._cold_eligible(query, skip, served), wanted)
        }

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
            dim=self.live.dim,
            factors=factors,
        )
        card_of = self.live.card
        eligible: dict[str, ItemCard] = {}
        candidates = gather_candidates(
            self.live, self.neighbours, query, signals, anchor_ids, model, self._cold, blocked, len(served)
        )
        for c in candidates:
            card = card_of(c)
            if self._eligible(card, query) and not (served and item_digest(c) in served):
                eligible[c] = card
        if len(eligible) < query.limit:
            eligible.update(
                self._cold_candidates(query, blocked | set(eligible), served, query.limit - len(eligible))
            )
        found, content = self.live.index.get_many(list(eligible))
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
            reason = personal_reason(
                anchor,
                float(scored.anchor_similarity[i]),
                verbs,
                self._title,
                float(pop[i]),
                factors is not None,
            )
            page.append(FeedItem(card.item_id, card.title, round(float(scored.score[i]), 6), reason))
        return page

    def _title(self, item_id: str) -> str | None:
        card = self.live.card(item_id)
        return card.title if card else None

    def freshness_days(self, model: ServingModel | None) -> float:
        return freshness_half_life(self.settings, model.freshness_days if model else None)

    def rank_weights(self, model: ServingModel | None) -> RankWeights:
        return serving_weights(self.settings, model.params.cf_weight if model else 0.0)

    # --- similar items --------------------------------------------------------------------------

    def similar(self, item_id: str, limit: int) -> list[SimilarItem]:
        """Available items nearest to `item_id`'s content vector, itself excluded, with their titles.

        Cached in process by (item, limit, catalog version) for `similar_cache_seconds`."""
        ttl = self.settings.similar_cache_seconds
        key = f"{item_id}\x1f{limit}\x1f{self.live.version}"
        cached = self._similar.get(key) if ttl > 0 else None
        if cached is not None and self.live.card(item_id) is not None:
            self.telemetry.count("cache_requests", cache="similar", result="hit")
            hits = [(i, s) for i, s in json.loads(cached)]
        else:
            hits = self._nearest(item_id, limit)
            if ttl > 0:
                self.telemetry.count("cache_requests", cache="similar", result="miss")
                self._similar.put(key, json.dumps(hits).encode(), ttl)
        out = []
        for hit_id, score in hits:
            title = self._title(hit_id)
            out.append(SimilarItem(hit_id, title if title is not None else "", round(float(score), 6)))
        return out

    def _nearest(self, item_id: str, limit: int) -> list[tuple[str, float]]:
        found, matrix = self._vectors([item_id])
        if not found or self.live.card(item_id) is None:
            raise ItemNotFound(f"item {item_id!r} not found")
        return self.live.index.search(matrix[0], limit, exclude={item_id})
