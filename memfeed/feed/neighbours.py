"""Items' nearest neighbours by content, cached per catalog version.

Each feed page searched the catalog around each of the user's anchor items (8 HNSW queries, the largest
search cost of a page). An item's neighbourhood is the same for every user who has it as an anchor, and
popular items are many users' anchors, so the feed reads them from here. Entries are unfiltered and deeper
than a page needs: a request drops its own exclusions from them, and falls back to a filtered search only
when they leave too few, so the candidates are those the filtered search would find.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Collection, Sequence

import numpy as np

from memfeed.catalog.live import LiveCatalog


class NeighbourCache:
    def __init__(self, capacity: int = 20_000, depth: int = 100) -> None:
        self.capacity = capacity
        self.depth = depth
        """Neighbours kept per item: enough for a page's `k` after the user's exclusions, usually."""
        self._entries: OrderedDict[str, list[str]] = OrderedDict()
        self._version = -1
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def neighbours(
        self, catalog: LiveCatalog, item_ids: Sequence[str], vectors: np.ndarray
    ) -> list[list[str]]:
        """Up to `depth` nearest items of each item (`vectors`: their content vectors), best first, itself included."""
        version = catalog.version
        out: list[list[str] | None] = []
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._version = version
            for item in item_ids:
                hood = self._entries.get(item)
                if hood is not None:
                    self._entries.move_to_end(item)
                out.append(hood)
        missing = [i for i, hood in enumerate(out) if hood is None]
        self.hits += len(out) - len(missing)
        self.misses += len(missing)
        if missing:
            found = catalog.index.search_many(vectors[missing], self.depth)
            with self._lock:
                current = (
                    catalog.version == version == self._version
                )  # else the result may be stale: not kept
                for i, hits in zip(missing, found, strict=True):
                    out[i] = [key for key, _ in hits]
                    if current:
                        self._entries[item_ids[i]] = out[i]  # type: ignore[assignment]
                while len(self._entries) > self.capacity:
                    self._entries.popitem(last=False)
        return out  # type: ignore[return-value]

    def unblocked(
        self,
        catalog: LiveCatalog,
        vectors: np.ndarray,
        anchors: Sequence[object],
        k: int,
        blocked: Collection[str],
    ) -> set[str]:
        """The `k` nearest items to each anchor that are not `blocked`, as a filtered search would find them.

        `anchors[i]` is an item id (its neighbourhood is cached) or anything else (a stated preference: searched);
        `vectors[i]` is its vector. An anchor whose cached neighbourhood the user has mostly seen is searched
        with the exclusions, past its neighbourhood.
        """
        ids: set[str] = set()
        search = [i for i, a in enumerate(anchors) if not isinstance(a, str)]
        items = [i for i, a in enumerate(anchors) if isinstance(a, str)]
        if items and k <= self.depth // 2:
            hoods = self.neighbours(catalog, [str(anchors[i]) for i in items], vectors[items])
            for row, hood in zip(items, hoods, strict=True):
                kept = [i for i in hood if i not in blocked][:k]
                if len(kept) < k and len(hood) == self.depth:
                    search.append(row)
                else:
                    ids.update(kept)
        else:
            search.extend(items)
        if search:
            for hits in catalog.index.search_many(vectors[sorted(search)], k, exclude=blocked):
                ids.update(i for i, _ in hits)
        return ids
