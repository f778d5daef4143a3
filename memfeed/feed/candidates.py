"""Candidate generation: the items a personal page is ranked from.

ANN around the user's taste vector, around each anchor (item neighbourhoods from the shared cache, stated
preferences searched), around the model's hybrid vector when a model serves, plus the head of the cold
ranking as backfill. Blocked items (seen, hidden, excluded) never come back.
"""

from __future__ import annotations

from collections.abc import Sequence

from memfeed.catalog.live import LiveCatalog
from memfeed.feed.neighbours import NeighbourCache
from memfeed.feed.popularity import ColdEntry
from memfeed.feed.profile import StatedPreference
from memfeed.feed.ranking import UserSignals
from memfeed.feed.records import FeedQuery
from memfeed.model.bundle import ServingModel

COLD_BACKFILL = 100
"""The best items of the cold ranking join every pool: popular and fresh items compete for each page."""


def gather_candidates(
    live: LiveCatalog,
    neighbours: NeighbourCache,
    query: FeedQuery,
    signals: UserSignals,
    anchors: Sequence[str | StatedPreference],
    model: ServingModel | None,
    cold: Sequence[ColdEntry],
    blocked: set[str],
    n_served: int,
) -> list[str]:
    """Candidate ids, sorted, none blocked. Served items are filtered after the search (the cursor holds
    digests), so the pool widens by them; a category filter widens it eightfold."""
    index = live.index
    widen = 8 if query.category else 1
    pool = min(len(index), (max(200, 4 * query.limit) + n_served) * widen)
    ids: set[str] = set()
    if signals.taste is not None:
        ids.update(i for i, _ in index.search(signals.taste, pool, exclude=blocked))
    if len(signals.anchors):
        ids.update(neighbours.unblocked(live, signals.anchors, anchors, max(50, pool // 4), blocked))
    if model is not None:
        query_vector = model.hybrid_query(signals.taste, signals.factors)
        if query_vector is not None:
            ids.update(i for i, _ in model.hybrid.search(query_vector, pool, exclude=blocked))
    ids.update(e.item_id for e in cold[:COLD_BACKFILL])
    return sorted(ids - blocked)
