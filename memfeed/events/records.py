"""What the events domain hands out: plain tuples and dataclasses, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple


class Interaction(NamedTuple):
    """One event as taste sees it (a tuple: a feed reads up to 500 per page, and retrain millions)."""

    item_id: str
    type: str
    value: float | None
    ts: datetime


@dataclass(frozen=True)
class Rejection:
    index: int
    event_id: str | None
    code: str
    message: str


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    accepted_users: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class EventRecord:
    """A stored event as the user's data export shows it."""

    event_id: str
    item_id: str
    type: str
    value: float | None
    timestamp: datetime
    received_at: datetime
    context: dict[str, Any] | None


class ActivityRow(NamedTuple):
    """A recent event with its item's title and stored content vector (None when the item has none)."""

    type: str
    value: float | None
    ts: datetime
    item_id: str
    title: str
    vector: bytes | None
