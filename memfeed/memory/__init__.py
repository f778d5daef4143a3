"""Per-user LLM memory: stored facts with dedup on write, hybrid (dense + BM25) search, activity recall.

`MemoryService` is the service and `MemoryRepository` holds every statement; the other modules are the pure
parts the service composes (normalization, polarity, BM25, fusion, the per-user cache, activity rendering).
"""

from __future__ import annotations

from memfeed.memory.records import (
    AddResult,
    ErasedMemories,
    MemoryPage,
    MemoryPatch,
    MemoryRecord,
    NewMemory,
    RevisionRecord,
    SearchHit,
    SearchMode,
)
from memfeed.memory.service import MemoryService

__all__ = [
    "AddResult",
    "ErasedMemories",
    "MemoryPage",
    "MemoryPatch",
    "MemoryRecord",
    "MemoryService",
    "NewMemory",
    "RevisionRecord",
    "SearchHit",
    "SearchMode",
]
