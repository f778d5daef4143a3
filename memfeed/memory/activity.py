"""The user's own recent activity as searchable text ("liked 'Title' on 2026-05-02").

Activity is scored like memories, but the dense side uses the item's stored content vector (from
`item_vectors`, loaded in the same query as the events), so recalling activity embeds nothing but the query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from memfeed.events.repository import EventRepository
from memfeed.events.weights import PAST_TENSE
from memfeed.memory.lexical import Bm25Index


def render_event(event_type: str, value: float | None, title: str, when: datetime) -> str:
    """One event as a sentence an LLM can read: `liked 'Title' on 2026-05-02`, `rated 'Title' 4/5 on ...`."""
    day = when.date().isoformat()
    if event_type == "rating":
        rating = "?" if value is None else f"{value:g}"
        return f"rated '{title}' {rating}/5 on {day}"
    if event_type == "dwell":
        seconds = 0 if value is None else round(value)
        return f"spent {seconds}s on '{title}' on {day}"
    return f"{PAST_TENSE.get(event_type, event_type)} '{title}' on {day}"


@dataclass(frozen=True)
class Activity:
    """The user's latest events, newest first, with the vectors of their items (zero where missing)."""

    texts: list[str]
    item_ids: list[str]
    types: list[str]
    times: list[datetime]
    occurred: np.ndarray
    matrix: np.ndarray
    lexical: Bm25Index

    def __len__(self) -> int:
        return len(self.texts)


def load_activity(events: EventRepository, user_id: str, limit: int, embedder_id: str, dim: int) -> Activity:
    """The user's latest `limit` events with item titles and content vectors, in one query."""
    rows = events.recent_activity(user_id, embedder_id, limit)
    matrix = np.zeros((len(rows), dim), dtype=np.float32)
    for i, row in enumerate(rows):
        if row.vector is not None and len(row.vector) == 4 * dim:
            matrix[i] = np.frombuffer(row.vector, dtype=np.float32)
    texts = [render_event(r.type, r.value, r.title, r.ts) for r in rows]
    return Activity(
        texts=texts,
        item_ids=[r.item_id for r in rows],
        types=[r.type for r in rows],
        times=[r.ts for r in rows],
        occurred=np.array([r.ts.timestamp() for r in rows], dtype=np.float64),
        matrix=matrix,
        lexical=Bm25Index.build(texts),
    )
