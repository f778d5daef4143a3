"""What the run bookkeeping hands out: plain records, never ORM rows (they outlive their session)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class RunRecord:
    """One retrain run as stored: `state` is scheduled, running, completed or failed."""

    run_id: str
    state: str
    started_at: datetime | None
    finished_at: datetime | None
    version: str | None
    promoted: bool | None
    metrics: dict[str, Any] | None
    error: str | None
