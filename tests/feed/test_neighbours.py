"""The feed's anchor neighbourhoods come from a cache shared by all users (memfeed/feed/neighbours.py): the
candidates must be exactly those of a search with the user's exclusions, and a catalog change must show."""

from __future__ import annotations

import numpy as np
import pytest

from memfeed.catalog.live import LiveCatalog
from memfeed.catalog.records import ItemCard
from memfeed.feed.neighbours import NeighbourCache
from vectorstore import VectorIndex

DIM = 16


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def catalog_of(vectors: np.ndarray, hnsw_threshold: int = 20_000) -> LiveCatalog:
    catalog = LiveCatalog(VectorIndex(DIM, hnsw_threshold=hnsw_threshold), "test/16")
    ids = [f"i{n}" for n in range(len(vectors))]
    catalog.apply([ItemCard(i, i, None, None, True) for i in ids], dict(zip(ids, vectors, strict=True)))
    return catalog


@pytest.mark.parametrize("hnsw_threshold", [20_000, 100])  # exact search, and HNSW
def test_cached_neighbourhoods_give_the_filtered_search_candidates(hnsw_threshold: int) -> None:
    rng = np.random.default_rng(0)
    centres = unit(rng.normal(size=(10, DIM)))
    vectors = unit(centres[rng.integers(0, 10, 3000)] + 0.35 * rng.normal(size=(3000, DIM)))
    catalog = catalog_of(vectors, hnsw_threshold)
    cache = NeighbourCache(depth=60)
    for user in range(40):
        anchors = [f"i{n}" for n in rng.choice(3000, 8, replace=False)]
        # seen: the anchors themselves and, for heavy users, most of their neighbourhoods
        seen = set(anchors)
        for a in anchors[: user % 5]:
            seen.update(i for i, _ in catalog.index.search(vectors[int(a[1:])], 50))
        anchor_vectors = vectors[[int(a[1:]) for a in anchors]]
        expected: set[str] = set()
        for hits in catalog.index.search_many(anchor_vectors, 25, exclude=seen):
            expected.update(i for i, _ in hits)
        assert cache.unblocked(catalog, anchor_vectors, anchors, 25, seen) == expected
    assert cache.hits > 0, "repeated anchors are served from the cache"


def test_a_catalog_change_invalidates_the_neighbourhoods() -> None:
    rng = np.random.default_rng(1)
    vectors = unit(rng.normal(size=(500, DIM)))
    catalog = catalog_of(vectors)
    cache = NeighbourCache(depth=20)
    anchor = vectors[:1]
    before = cache.unblocked(catalog, anchor, ["i0"], 5, {"i0"})
    assert cache.unblocked(catalog, anchor, ["i0"], 5, {"i0"}) == before and cache.hits == 1
    twin = ItemCard("twin", "twin", None, None, True)
    catalog.apply([twin], {"twin": vectors[0]})  # a new item right next to the anchor
    assert "twin" in cache.unblocked(catalog, anchor, ["i0"], 5, {"i0"})
    withdrawn = sorted(before)[0]
    catalog.apply([ItemCard(withdrawn, withdrawn, None, None, False)], {})
    assert withdrawn not in cache.unblocked(catalog, anchor, ["i0"], 5, {"i0"})


def test_stated_preferences_are_searched_not_cached() -> None:
    rng = np.random.default_rng(2)
    vectors = unit(rng.normal(size=(300, DIM)))
    catalog = catalog_of(vectors)
    cache = NeighbourCache(depth=20)
    said = unit(rng.normal(size=(1, DIM)))
    found = cache.unblocked(catalog, said, [object()], 5, set())
    assert found == {i for i, _ in catalog.index.search(said[0], 5)}
    assert cache.hits == cache.misses == 0
