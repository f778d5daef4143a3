"""A user profile as the rest of memfeed sees it: a plain frozen dataclass, no ORM object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class UserRecord:
    user_id: str
    traits: dict[str, Any]
    created_at: datetime
    updated_at: datetime
