"""What goes into and comes out of the memory service: plain dataclasses, and the input rules they obey."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from memfeed.platform.errors import InvalidInput
from memfeed.platform.inputs import no_nul

MAX_TEXT_CHARS = 4000
KIND_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
"""Built-in kinds are fact, preference and episode; any snake_case name up to 64 chars is a custom kind."""
ACTIVITY_KIND = "activity"
"""Reserved: the kind of activity results in search; a stored memory cannot take it."""
MEMORY_ID_PREFIX = "mem_"
MAX_TTL_SECONDS = 100 * 365 * 86400

SearchMode = Literal["hybrid", "dense", "lexical"]
_KIND_RE = re.compile(KIND_PATTERN)


def check_text(text: str) -> str:
    """The text to store (surrounding whitespace dropped); raises InvalidInput when empty, too long or has NUL."""
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput("text must not be empty or whitespace only")
    if len(text) > MAX_TEXT_CHARS:
        raise InvalidInput(f"text is longer than {MAX_TEXT_CHARS} characters")
    try:
        no_nul(text)
    except ValueError as exc:
        raise InvalidInput(f"text {exc}") from exc
    return cleaned


def check_kind(kind: str) -> str:
    if not _KIND_RE.match(kind) or kind == ACTIVITY_KIND:
        raise InvalidInput(f"kind must be snake_case, at most 64 characters, and not {ACTIVITY_KIND!r}")
    return kind


@dataclass(frozen=True)
class NewMemory:
    text: str
    kind: str = "fact"
    session_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    ttl_seconds: int | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class MemoryPatch:
    """Only the fields set are changed; `ttl_seconds=None` with `set_ttl` clears the expiry."""

    text: str | None = None
    kind: str | None = None
    metadata: dict[str, Any] | None = None
    ttl_seconds: int | None = None
    set_ttl: bool = False


@dataclass(frozen=True)
class RevisionRecord:
    text: str
    kind: str
    metadata: dict[str, Any]
    changed_at: datetime
    reason: str


@dataclass(frozen=True)
class MemoryRecord:
    memory_id: str
    user_id: str
    text: str
    kind: str
    session_id: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    occurred_at: datetime
    expires_at: datetime | None
    mentions: int
    history: list[RevisionRecord] | None = None
    """Filled only by `MemoryService.get(..., with_history=True)` and `memories_of`."""


@dataclass(frozen=True)
class AddResult:
    memory: MemoryRecord
    merged: bool


@dataclass(frozen=True)
class ErasedMemories:
    """What erasing a user's memories removed: memory rows and their revision rows."""

    memories: int
    revisions: int


@dataclass(frozen=True)
class MemoryPage:
    items: list[MemoryRecord]
    next_cursor: str | None


@dataclass(frozen=True)
class SearchHit:
    """One search result: a memory, or (memory_id None, kind "activity") one of the user's own events."""

    memory_id: str | None
    text: str
    kind: str
    score: float
    created_at: datetime
    occurred_at: datetime
    session_id: str | None
    metadata: dict[str, Any]


class StoredMemory(NamedTuple):
    """The columns a per-user snapshot is built from (one row of `memories`, no ORM object)."""

    memory_id: str
    text: str
    kind: str
    session_id: str | None
    meta: dict[str, Any] | None
    content_hash: str
    vector: bytes
    embedder: str
    created_at: datetime
    occurred_at: datetime
    expires_at: datetime | None
