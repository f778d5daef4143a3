"""The event vocabulary and what each event says about taste: signed weights and their time decay.

One table for the feed's profile, training's confidence matrix, popularity and activity text, so that a new
event type is added in one place.

Taste decay is relative: an event's age is measured from the same user's latest event (`relative_ages`),
never from the wall clock, so a history imported with its real, years-old timestamps keeps its relative
weights (wall-clock decay underflowed every weight to 0 and emptied the page). The feed's profile, its ALS
fold-in, training's confidence matrix and offline scoring all apply this one rule.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

import numpy as np


class EventType(StrEnum):
    view = "view"
    click = "click"
    like = "like"
    dislike = "dislike"
    share = "share"
    save = "save"
    purchase = "purchase"
    dwell = "dwell"
    rating = "rating"
    skip = "skip"
    hide = "hide"


BASE_WEIGHTS: dict[str, float] = {
    "view": 0.3,
    "click": 0.6,
    "like": 1.0,
    "save": 1.0,
    "share": 1.2,
    "purchase": 1.5,
    "skip": -0.3,
    "hide": -1.0,
    "dislike": -1.0,
}
"""How much one event says about taste; negative types push the profile away from the item."""

NEGATIVE_TYPES = ("skip", "hide", "dislike")
"""Types that never count as engagement (popularity, positives)."""

PAST_TENSE: dict[str, str] = {
    "view": "viewed",
    "click": "opened",
    "like": "liked",
    "dislike": "disliked",
    "save": "saved",
    "share": "shared",
    "purchase": "bought",
    "rating": "rated",
    "dwell": "read",
    "hide": "hid",
    "skip": "skipped",
}
"""An event as a verb: feed reasons ("because you saved ...") and activity text ("liked 'X' on ...")."""


def event_weight(event_type: str, value: float | None) -> float:
    """Signed strength of one event; dwell scales with seconds (saturating), rating is centred on 3/5."""
    if event_type == "dwell":
        seconds = max(value or 0.0, 0.0)
        return 0.2 + 0.8 * min(seconds / 60.0, 1.0)
    if event_type == "rating":
        return ((value if value is not None else 3.0) - 3.0) / 2.0
    return BASE_WEIGHTS.get(event_type, 0.0)


def decay(age_days: float, half_life_days: float) -> float:
    """Halves every `half_life_days` (no decay when it is not positive); negative ages count as 0."""
    return math.pow(0.5, max(age_days, 0.0) / half_life_days) if half_life_days > 0 else 1.0


def decay_many(age_days: np.ndarray, half_life_days: float) -> np.ndarray:
    """`decay` over an array of ages (float64, so relative weights of a long history stay above 0)."""
    if half_life_days <= 0:
        return np.ones(len(age_days), dtype=np.float64)
    return np.power(0.5, np.maximum(age_days, 0.0) / half_life_days)


def relative_ages(timestamps: Sequence[datetime]) -> list[float]:
    """Each event's age in days behind the latest of `timestamps` (one user's events): the decay clock."""
    if not timestamps:
        return []
    latest = max(timestamps)
    return [(latest - ts).total_seconds() / 86400.0 for ts in timestamps]
