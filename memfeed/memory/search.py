"""A search over one user's snapshot (and optionally their activity): filters as numpy masks, scoring,
fusion, top-k. No I/O: the service hands in what it loaded, so this is the benchmarked hot path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from memfeed.memory.activity import Activity
from memfeed.memory.fusion import FusionParams, best_eligible, fuse, recency_boost
from memfeed.memory.records import ACTIVITY_KIND, SearchHit, SearchMode
from memfeed.memory.snapshots import UserMemories


@dataclass(frozen=True)
class SearchFilters:
    """All given conditions must hold. `since`/`until` bound occurred_at (inclusive); `metadata` values must
    equal the memory's. A kind other than "activity", a session or a metadata filter leaves activity out."""

    kind: str | None = None
    session_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def allows_memories(self) -> bool:
        return self.kind != ACTIVITY_KIND

    @property
    def allows_activity(self) -> bool:
        return self.kind in (None, ACTIVITY_KIND) and self.session_id is None and not self.metadata


def _time_mask(times: np.ndarray, filters: SearchFilters) -> np.ndarray:
    mask = np.ones(len(times), dtype=bool)
    if filters.since is not None:
        mask &= times >= filters.since.timestamp()
    if filters.until is not None:
        mask &= times <= filters.until.timestamp()
    return mask


def memory_mask(memories: UserMemories, filters: SearchFilters, now: float) -> np.ndarray:
    """Live memories passing every filter."""
    if not filters.allows_memories or not len(memories):
        return np.zeros(len(memories), dtype=bool)
    mask = memories.live(now) & _time_mask(memories.occurred, filters)
    if filters.kind is not None:
        mask &= memories.kinds == filters.kind
    if filters.session_id is not None:
        mask &= memories.sessions == filters.session_id
    for key, value in filters.metadata.items():
        matching = np.zeros(len(memories), dtype=bool)
        matching[memories.rows_with(key, value)] = True
        mask &= matching
    return mask


def search_user(
    memories: UserMemories,
    activity: Activity | None,
    query_text: str,
    query_vector: np.ndarray | None,
    *,
    k: int,
    filters: SearchFilters,
    mode: SearchMode,
    params: FusionParams,
    now: datetime,
) -> list[SearchHit]:
    """The k best memories (and activity entries) for the query, best first."""
    now_ts = now.timestamp()
    mem_idx = np.flatnonzero(memory_mask(memories, filters, now_ts))
    act_idx = np.zeros(0, dtype=np.int64)
    if activity is not None and len(activity) and filters.allows_activity:
        act_idx = np.flatnonzero(_time_mask(activity.occurred, filters))
    if not len(mem_idx) and not len(act_idx):
        return []

    dense_parts: list[np.ndarray] = []
    lexical_parts: list[np.ndarray] = []
    occurred_parts: list[np.ndarray] = []
    sources: list[tuple[Any, np.ndarray]] = [(memories, mem_idx)]
    if len(act_idx):
        sources.append((activity, act_idx))
    for source, idx in sources:
        if query_vector is not None and mode != "lexical":
            dense_parts.append((source.matrix @ query_vector)[idx])
        else:
            dense_parts.append(np.zeros(len(idx), dtype=np.float32))
        lexical_parts.append(
            source.lexical.scores(query_text)[idx] if mode != "dense" else np.zeros(len(idx))
        )
        occurred_parts.append(source.occurred[idx])

    dense = np.concatenate(dense_parts).astype(np.float64)
    lexical = np.concatenate(lexical_parts).astype(np.float64)
    score, eligible = fuse(dense, lexical, mode, params)
    score = score * recency_boost(np.concatenate(occurred_parts), now_ts, params)
    best = best_eligible(score, eligible, k)

    hits: list[SearchHit] = []
    n_mem = len(mem_idx)
    for position in best:
        value = round(float(score[position]), 6)
        if position < n_mem:
            i = int(mem_idx[position])
            hits.append(
                SearchHit(
                    memory_id=memories.ids[i],
                    text=memories.texts[i],
                    kind=str(memories.kinds[i]),
                    score=value,
                    created_at=memories.created_at[i],
                    occurred_at=memories.occurred_at[i],
                    session_id=memories.sessions[i],
                    metadata=memories.metadata[i],
                )
            )
        else:
            assert activity is not None
            j = int(act_idx[position - n_mem])
            hits.append(
                SearchHit(
                    memory_id=None,
                    text=activity.texts[j],
                    kind=ACTIVITY_KIND,
                    score=value,
                    created_at=activity.times[j],
                    occurred_at=activity.times[j],
                    session_id=None,
                    metadata={"item_id": activity.item_ids[j], "event_type": activity.types[j]},
                )
            )
    return hits
