"""Per-user LLM memory: stored facts with dedup on write, hybrid (dense + BM25) search, activity recall.

`MemoryStore` is the service; the other modules are the pure parts it composes (normalization, polarity,
BM25, fusion, the per-user cache, activity rendering).
"""

from __future__ import annotations

from memfeed.memory.records import (
    AddResult,
    MemoryPage,
    MemoryPatch,
    MemoryRecord,
    NewMemory,
    RevisionRecord,
    SearchHit,
    SearchMode,
)
from memfeed.memory.service import MemoryStore

__all__ = [
    "AddResult",
    "MemoryPage",
    "MemoryPatch",
    "MemoryRecord",
    "MemoryStore",
    "NewMemory",
    "RevisionRecord",
    "SearchHit",
    "SearchMode",
]
